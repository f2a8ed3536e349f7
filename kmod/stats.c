// SPDX-License-Identifier: GPL-2.0
/*
 * Node-wide counters, reported by get-status.  Monotonic since the module
 * was loaded, except flows, which is a gauge.
 */
#include "kmtls.h"

struct kmtls_stats kmtls_stats = {
	.handshakes = ATOMIC64_INIT(0),
	.handshakes_failed = ATOMIC64_INIT(0),
	.config_changes = ATOMIC64_INIT(0),
	.refused_no_daemon = ATOMIC64_INIT(0),
	.policy_denied = ATOMIC64_INIT(0),
	.policy_would_deny = ATOMIC64_INIT(0),
	.flows = ATOMIC_INIT(0),
};
