/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table: the handshakes in flight, by the kernel's flow id.
 *
 * Ownership: the table owns its flows; a flow owns its engine and strings.
 * flow_del() frees a flow with everything it owns (the engine wipes its
 * secrets).  Flows are also kept in order of arrival; since every flow gets
 * the same lifetime, the oldest is the first to expire.
 */
#ifndef HANDSHAKED_FLOW_H
#define HANDSHAKED_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* "[ffff:...:ffff]:65535" fits. */
#define FLOW_ADDR_STRLEN	56

struct flow {
	uint64_t id;
	struct flow *hnext;		/* hash chain */
	struct flow *older, *newer;	/* arrival order */
	uint64_t deadline_ms;		/* the daemon's safety timeout */
	enum tls_role role;
	uint32_t netns;
	char local[FLOW_ADDR_STRLEN];	/* for log lines */
	char peer[FLOW_ADDR_STRLEN];
	char *local_id;			/* owned */
	struct tls_engine *eng;		/* owned; NULL until set */
	bool recv_pending;		/* a RECV is out, DATA is expected */
};

struct flow_table {
	struct flow **buckets;
	size_t nbuckets;		/* a power of two */
	size_t count;
	size_t max;
	struct flow *oldest, *newest;
};

/* 0 or -ENOMEM.  max: the most flows at once. */
int flow_table_init(struct flow_table *t, size_t max);
/* Free every flow and the table's memory. */
void flow_table_fini(struct flow_table *t);

struct flow *flow_find(const struct flow_table *t, uint64_t id);

/*
 * A new zeroed flow with id and deadline_ms, newest in arrival order.  NULL
 * with errno EEXIST (id is taken), ENOSPC (the table is full) or ENOMEM.
 */
struct flow *flow_add(struct flow_table *t, uint64_t id, uint64_t deadline_ms);

/* Unlink f and free it with all it owns. */
void flow_del(struct flow_table *t, struct flow *f);

/* The oldest flow, or NULL. */
static inline struct flow *flow_oldest(const struct flow_table *t)
{
	return t->oldest;
}

#endif /* HANDSHAKED_FLOW_H */
