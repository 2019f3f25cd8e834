// Route installers: each adds one API's endpoints to the HTTP server. The
// security checks run before them (server/api_server.cpp).
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

#include "server/api_common.h"

namespace hearth::server {

// POST /v1/chat/completions, POST /v1/completions, GET /v1/models, POST /v1/embeddings
void InstallOpenAiRoutes(httplib::Server& server, ApiContext& context);
// POST /api/chat, POST /api/generate, GET /api/tags, POST /api/show,
// GET /api/version, POST /api/embed
void InstallOllamaRoutes(httplib::Server& server, ApiContext& context);

// Parses an embedding request (either API) and embeds each input with the
// model it names; answers the error itself and returns false on failure.
bool EmbedInputs(ApiContext& context, const httplib::Request& request, httplib::Response& response,
                 std::string& model_name, std::vector<std::vector<float>>& vectors,
                 int32_t& tokens);

}  // namespace hearth::server
