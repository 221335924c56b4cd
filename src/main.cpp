#include "refscope/cli/command.h"

int main(int argc, char** argv) { return refscope::cli::run(argc, argv); }
