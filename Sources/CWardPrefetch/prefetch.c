// Everything is `static inline` in include/ward_prefetch.h; SwiftPM needs one source file per C target.
#include "ward_prefetch.h"
