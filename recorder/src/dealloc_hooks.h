#pragma once
// Wrappers around the deallocators of CPython's freelist types (dealloc_hooks.cpp). Need the GIL.
namespace refscope::recorder {

void install_dealloc_hooks();
void uninstall_dealloc_hooks();

}  // namespace refscope::recorder
