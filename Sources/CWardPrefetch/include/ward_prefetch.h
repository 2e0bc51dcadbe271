#ifndef WARD_PREFETCH_H
#define WARD_PREFETCH_H

/// A cache-line prefetch hint, which Swift has no spelling for. The policy evaluator uses it to fetch the
/// deciding clause's prebuilt answer while it is still waiting for the peer's bitset word, so the two cache
/// misses overlap instead of following one another.
static inline void ward_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
