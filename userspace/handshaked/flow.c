// SPDX-License-Identifier: GPL-2.0
/* The flow table: a chained hash on the flow id and an arrival list. */
#include <errno.h>
#include <stdlib.h>

#include "flow.h"

static size_t bucket(const struct flow_table *t, uint64_t id)
{
	/* Flow ids count up; mix them so neighbours spread. */
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & (t->nbuckets - 1);
}

int flow_table_init(struct flow_table *t, size_t max)
{
	size_t n = 16;

	while (n < max)
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->nbuckets = n;
	t->count = 0;
	t->max = max;
	t->oldest = t->newest = NULL;
	return 0;
}

void flow_table_fini(struct flow_table *t)
{
	while (t->oldest)
		flow_del(t, t->oldest);
	free(t->buckets);
	t->buckets = NULL;
}

struct flow *flow_find(const struct flow_table *t, uint64_t id)
{
	struct flow *f;

	for (f = t->buckets[bucket(t, id)]; f; f = f->hnext)
		if (f->id == id)
			return f;
	return NULL;
}

struct flow *flow_add(struct flow_table *t, uint64_t id, uint64_t deadline_ms)
{
	struct flow *f;
	size_t b;

	if (flow_find(t, id)) {
		errno = EEXIST;
		return NULL;
	}
	if (t->count >= t->max) {
		errno = ENOSPC;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	f->id = id;
	f->deadline_ms = deadline_ms;
	b = bucket(t, id);
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	f->older = t->newest;
	if (t->newest)
		t->newest->newer = f;
	else
		t->oldest = f;
	t->newest = f;
	t->count++;
	return f;
}

void flow_del(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[bucket(t, f->id)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	if (f->older)
		f->older->newer = f->newer;
	else
		t->oldest = f->newer;
	if (f->newer)
		f->newer->older = f->older;
	else
		t->newest = f->older;
	t->count--;
	tls_engine_free(f->eng);
	free(f->local_id);
	free(f);
}
