#pragma once
// Text from a trace (type names, sites, labels, the lines quoted in messages) reaches people's terminals. A trace
// must not be able to clear the screen, move the cursor or fake a line of the report, so text output and messages
// show such bytes escaped: C0 controls and DEL as \xNN, C1 controls (U+0080..U+009F) as \u00NN, and bytes that are
// not valid UTF-8 as \xNN. Valid UTF-8 is shown as it is. JSON has its own escaping and carries the names as they
// are; DOT and XML writers drop or replace what their formats cannot hold.
#include <string>
#include <string_view>

namespace refscope {

std::string printable(std::string_view text);

}  // namespace refscope
