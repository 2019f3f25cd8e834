#!/usr/bin/env python3
"""Writes tests/chat/golden/<template>.json: what jinja2, set up the way Hugging
Face transformers sets it up for chat templates, renders for every template in
shared/data/chat-templates and every conversation in conversations.json.

Run with the project venv (jinja2 3.1.x):
    ~/.cache/hearth/venv/bin/python tests/chat/make_template_goldens.py [--shared DIR]

The environment mirrors transformers' _compile_jinja_template:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
extensions=[AssistantTracker, jinja2.ext.loopcontrols]), tojson overridden with
json.dumps(ensure_ascii=False, ...), globals raise_exception and strftime_now
(here with a fixed clock). Render kwargs: messages, tools (None when absent),
add_generation_prompt, bos_token, eos_token.
"""
import argparse
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class AssistantTracker(jinja2.ext.Extension):
    """transformers' {% generation %} tag; with tracking off it renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    @jinja2.pass_eval_context
    def _generation_support(self, context, caller):
        return caller()


def make_environment(now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render_case(env, source, settings, conv):
    try:
        template = env.from_string(source)
        out = template.render(
            messages=conv["messages"],
            tools=conv.get("tools"),
            add_generation_prompt=conv["add_generation_prompt"],
            bos_token=settings["bos_token"],
            eos_token=settings["eos_token"],
        )
        return {"output": out}
    except Exception as e:  # noqa: BLE001 - the exception class is the expected result
        return {"error": f"{type(e).__name__}: {e}"}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"))
    args = parser.parse_args()
    template_dir = os.path.join(args.shared, "data", "chat-templates")
    with open(os.path.join(HERE, "conversations.json"), encoding="utf-8") as f:
        settings = json.load(f)
    now = datetime.strptime(settings["now"], "%Y-%m-%dT%H:%M:%S")
    env = make_environment(now)
    out_dir = os.path.join(HERE, "golden")
    os.makedirs(out_dir, exist_ok=True)
    names = sorted(n for n in os.listdir(template_dir) if n.endswith(".jinja"))
    errors = 0
    for name in names:
        with open(os.path.join(template_dir, name), encoding="utf-8", newline="") as f:
            source = f.read()
        cases = {}
        for conv in settings["conversations"]:
            cases[conv["name"]] = render_case(env, source, settings, conv)
            errors += "error" in cases[conv["name"]]
        golden = {"template": name, "jinja2": jinja2.__version__, "cases": cases}
        with open(os.path.join(out_dir, name[:-len(".jinja")] + ".json"), "w", encoding="utf-8") as f:
            json.dump(golden, f, ensure_ascii=False, indent=1)
            f.write("\n")
    print(f"{len(names)} templates x {len(settings['conversations'])} conversations; "
          f"{errors} renders raised", file=sys.stderr)
    write_snippet_goldens(env)


def write_snippet_goldens(env):
    """snippets.json: small templates that pin down one engine behaviour each."""
    with open(os.path.join(HERE, "snippets.json"), encoding="utf-8") as f:
        snippets = json.load(f)
    results = {}
    for snippet in snippets:
        try:
            out = env.from_string(snippet["template"]).render(**snippet["context"])
            results[snippet["name"]] = {"output": out}
        except Exception as e:  # noqa: BLE001
            results[snippet["name"]] = {"error": f"{type(e).__name__}: {e}"}
    with open(os.path.join(HERE, "snippet_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2": jinja2.__version__, "results": results}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(snippets)} snippets", file=sys.stderr)


if __name__ == "__main__":
    main()
