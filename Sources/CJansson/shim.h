#ifndef WARD_CJANSSON_SHIM_H
#define WARD_CJANSSON_SHIM_H

#include <jansson.h>
#include <stdlib.h>

// jansson's flag macros that take arguments, and its own free for json_dumps output.
static inline size_t ward_JSON_INDENT(int n) { return JSON_INDENT(n); }
static inline void ward_json_free(char *p) { free(p); }

#endif
