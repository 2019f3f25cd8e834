#include "engine/stop_strings.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(StopStringFilterTest, PassesTextThroughWithoutStops) {
  StopStringFilter filter({});
  EXPECT_EQ(filter.Push("abc"), "abc");
  EXPECT_EQ(filter.Flush(), "");
  EXPECT_FALSE(filter.stopped());
}

TEST(StopStringFilterTest, CutsAtAStopSpanningPieces) {
  StopStringFilter filter({"\n\n"});
  EXPECT_EQ(filter.Push("Hello\n"), "Hello");
  EXPECT_EQ(filter.Push("\nBye"), "");
  EXPECT_TRUE(filter.stopped());
  EXPECT_EQ(filter.Push("more"), "");
  EXPECT_EQ(filter.Flush(), "");
}

TEST(StopStringFilterTest, ReleasesHeldTextThatTurnsOutNotToBeAStop) {
  StopStringFilter filter({"END"});
  EXPECT_EQ(filter.Push("the E"), "the ");
  EXPECT_EQ(filter.Push("N"), "");
  EXPECT_EQ(filter.Push("D?"), "");
  EXPECT_TRUE(filter.stopped());

  StopStringFilter other({"END"});
  EXPECT_EQ(other.Push("the EN"), "the ");
  EXPECT_EQ(other.Push("TRY"), "ENTRY");
  EXPECT_EQ(other.Push("EN"), "");
  EXPECT_EQ(other.Flush(), "EN");
  EXPECT_FALSE(other.stopped());
}

TEST(StopStringFilterTest, TheEarliestOfSeveralStopsWins) {
  StopStringFilter filter({"world", "lo w", ""});
  EXPECT_EQ(filter.Push("hello world"), "hel");
  EXPECT_TRUE(filter.stopped());
}

TEST(StopStringFilterTest, HoldsTheLongestTailThatCouldStartAStop) {
  StopStringFilter filter({"aab"});
  EXPECT_EQ(filter.Push("xaa"), "x");
  EXPECT_EQ(filter.Push("a"), "a");  // "aaa": only "aa" can still start "aab"
  EXPECT_EQ(filter.Push("b"), "");
  EXPECT_TRUE(filter.stopped());
}

TEST(StopStringFilterTest, StopInsideOnePiece) {
  StopStringFilter filter({"</s>"});
  EXPECT_EQ(filter.Push("ok</s>tail"), "ok");
  EXPECT_TRUE(filter.stopped());
}

}  // namespace
}  // namespace hearth
