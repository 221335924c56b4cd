#pragma once
// `refscope convert`: a trace written again, as text or in the binary encoding (binary_format.h), record for record.
// The records keep their lines: lines of the input that hold no record (comments, blank lines, the header's
// place) become blank lines of the text or skip records of the binary, so that every report names the same
// lines from either form.
#include "refscope/reader/trace_reader.h"
#include "refscope/report/output.h"

namespace refscope {

enum class TraceEncoding { Text, Binary };

// Reads `reader` to its end and writes its records to `out`. Throws the reader's TraceError for bad input (what
// was written before it is a valid trace of the records before the bad one) and OutputError for a write error.
// Returns the number of records written.
uint64_t convert_trace(TraceReader& reader, Output& out, TraceEncoding encoding);

}  // namespace refscope
