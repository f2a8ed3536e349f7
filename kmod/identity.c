// SPDX-License-Identifier: GPL-2.0
/*
 * Identities: cgroup v2 directories mapped to SPIFFE IDs.  A socket's
 * identity is that of the nearest ancestor of its cgroup (the cgroup itself
 * included) that has one.
 *
 * Writers serialise on kmtls_identity_lock; lookups run under RCU.  Each
 * entry holds a reference on its cgroup, so the cgroup's id cannot be
 * reused while the entry lives; a garbage collector drops entries whose
 * cgroup was removed (rmdir), so a removed cgroup leaves no state behind.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <linux/kmtls.h>
#include <net/sock.h>

#include "kmtls.h"

#define KMTLS_IDENTITY_MAX	65536
#define KMTLS_IDENTITY_GC_MS	2000

/*
 * Lifetime: created by identity-add, unhashed by identity-del, by the
 * collector or at module exit (all under kmtls_identity_lock), freed after an
 * RCU grace period, which is when its cgroup reference is dropped.
 */
struct kmtls_identity {
	struct hlist_node node;
	struct rcu_head rcu;
	struct cgroup *cgrp;
	u64 cgid;
	char *path;
	char spiffe_id[];
};

static DEFINE_MUTEX(kmtls_identity_lock);
static DEFINE_HASHTABLE(kmtls_identities, 10);
static unsigned int kmtls_identity_count;
static struct delayed_work kmtls_identity_gc_work;

static void kmtls_identity_free_rcu(struct rcu_head *head)
{
	struct kmtls_identity *id = container_of(head, struct kmtls_identity, rcu);

	cgroup_put(id->cgrp);
	kfree(id->path);
	kfree(id);
}

static void kmtls_identity_unhash(struct kmtls_identity *id)
{
	lockdep_assert_held(&kmtls_identity_lock);
	hash_del_rcu(&id->node);
	kmtls_identity_count--;
	call_rcu(&id->rcu, kmtls_identity_free_rcu);
}

/* rmdir kills the cgroup's self reference; css_is_dying() tests a flag
 * that 6.12 never sets on cgrp->self, so look at the reference itself.
 */
static bool kmtls_cgroup_removed(struct cgroup *cgrp)
{
	if (cgrp->self.flags & CSS_NO_REF)
		return false;
	return percpu_ref_is_dying(&cgrp->self.refcnt);
}

static struct kmtls_identity *kmtls_identity_find(u64 cgid)
{
	struct kmtls_identity *id;

	hash_for_each_possible_rcu(kmtls_identities, id, node, cgid)
		if (id->cgid == cgid)
			return id;
	return NULL;
}

/*
 * A SPIFFE ID as the SPIFFE ID specification defines it for workloads:
 * "spiffe://" + trust domain ([a-z0-9._-]+) + a path of one or more
 * segments ([A-Za-z0-9._-]+, not "." or ".."); no port, user info, query
 * or fragment, no trailing slash.
 */
static bool kmtls_spiffe_char(char c, bool upper)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (upper && c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
	       c == '_';
}

bool kmtls_spiffe_id_valid(const char *s, const char **why)
{
	const char *p, *seg;
	size_t tdlen;

	if (strncmp(s, "spiffe://", 9)) {
		*why = "SPIFFE ID must start with spiffe://";
		return false;
	}
	p = s + 9;
	for (tdlen = 0; p[tdlen] && p[tdlen] != '/'; tdlen++) {
		if (!kmtls_spiffe_char(p[tdlen], false)) {
			*why = "SPIFFE ID trust domain may hold only a-z 0-9 . - _";
			return false;
		}
	}
	if (!tdlen || tdlen > 255) {
		*why = "SPIFFE ID trust domain must be 1 to 255 characters";
		return false;
	}
	p += tdlen;
	if (!*p) {
		*why = "SPIFFE ID of a workload needs a path";
		return false;
	}
	while (*p) {
		p++;			/* the '/' */
		seg = p;
		while (*p && *p != '/') {
			if (!kmtls_spiffe_char(*p, true)) {
				*why = "SPIFFE ID path may hold only A-Z a-z 0-9 . - _ and /";
				return false;
			}
			p++;
		}
		if (p == seg) {
			*why = "SPIFFE ID path has an empty segment";
			return false;
		}
		if ((p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.')) {
			*why = "SPIFFE ID path may not hold . or .. segments";
			return false;
		}
	}
	return true;
}

int kmtls_identity_add(const char *path, const char *spiffe_id,
		       struct netlink_ext_ack *extack)
{
	struct kmtls_identity *id;
	struct cgroup *cgrp;
	const char *why;
	size_t idlen;
	int ret;

	if (!kmtls_spiffe_id_valid(spiffe_id, &why)) {
		/* @why points to a string literal, as NL_SET_ERR_MSG needs */
		if (extack)
			extack->_msg = why;
		return -EINVAL;
	}

	cgrp = cgroup_get_from_path(path);
	if (IS_ERR(cgrp)) {
		NL_SET_ERR_MSG(extack, "no such cgroup (cgroup v2 path, relative to its root)");
		return PTR_ERR(cgrp) == -ENOENT ? -ENOENT : PTR_ERR(cgrp);
	}

	idlen = strlen(spiffe_id) + 1;
	ret = -ENOMEM;
	id = kzalloc(struct_size(id, spiffe_id, idlen), GFP_KERNEL);
	if (!id)
		goto err_put;
	id->path = kstrdup(path, GFP_KERNEL);
	if (!id->path)
		goto err_free;
	memcpy(id->spiffe_id, spiffe_id, idlen);
	id->cgrp = cgrp;
	id->cgid = cgroup_id(cgrp);

	mutex_lock(&kmtls_identity_lock);
	ret = -EEXIST;
	if (kmtls_identity_find(id->cgid)) {
		NL_SET_ERR_MSG(extack, "this cgroup already has an identity (identity del first)");
		goto err_unlock;
	}
	ret = -ENOSPC;
	if (kmtls_identity_count >= KMTLS_IDENTITY_MAX) {
		NL_SET_ERR_MSG(extack, "too many identities");
		goto err_unlock;
	}
	hash_add_rcu(kmtls_identities, &id->node, id->cgid);
	kmtls_identity_count++;
	mutex_unlock(&kmtls_identity_lock);
	return 0;

err_unlock:
	mutex_unlock(&kmtls_identity_lock);
	kfree(id->path);
err_free:
	kfree(id);
err_put:
	cgroup_put(cgrp);
	return ret;
}

int kmtls_identity_del(const char *path, struct netlink_ext_ack *extack)
{
	struct kmtls_identity *id;
	struct cgroup *cgrp;
	int ret = -ENOENT;

	cgrp = cgroup_get_from_path(path);
	if (IS_ERR(cgrp)) {
		NL_SET_ERR_MSG(extack, "no such cgroup");
		return -ENOENT;
	}
	mutex_lock(&kmtls_identity_lock);
	id = kmtls_identity_find(cgroup_id(cgrp));
	if (id) {
		kmtls_identity_unhash(id);
		ret = 0;
	} else {
		NL_SET_ERR_MSG(extack, "this cgroup has no identity");
	}
	mutex_unlock(&kmtls_identity_lock);
	cgroup_put(cgrp);
	return ret;
}

/* The identity of the socket's cgroup or of its nearest ancestor with one.
 * Caller holds rcu_read_lock().
 */
static const struct kmtls_identity *kmtls_identity_of(const struct sock *sk)
{
	struct cgroup *cgrp;

	for (cgrp = sock_cgroup_ptr((struct sock_cgroup_data *)&sk->sk_cgrp_data);
	     cgrp; cgrp = cgroup_parent(cgrp)) {
		struct kmtls_identity *id = kmtls_identity_find(cgroup_id(cgrp));

		if (id && !kmtls_cgroup_removed(id->cgrp))
			return id;
	}
	return NULL;
}

/* Whether the socket has an identity.  Any context; RCU only. */
bool kmtls_identity_has(const struct sock *sk)
{
	bool found;

	rcu_read_lock();
	found = kmtls_identity_of(sk) != NULL;
	rcu_read_unlock();
	return found;
}

/* A copy of the socket's SPIFFE ID (the caller kfree()s it), or NULL when
 * it has none or the allocation failed.  Any context with a fitting @gfp.
 */
char *kmtls_identity_dup(const struct sock *sk, gfp_t gfp)
{
	const struct kmtls_identity *id;
	char *copy = NULL;

	rcu_read_lock();
	id = kmtls_identity_of(sk);
	if (id)
		copy = kstrdup(id->spiffe_id, gfp);
	rcu_read_unlock();
	return copy;
}

/* Dump from position *pos; call @fill for each entry until it fails. */
int kmtls_identity_walk(unsigned long *pos,
			int (*fill)(void *arg, const char *path,
				    const char *spiffe_id, u64 cgid),
			void *arg)
{
	struct kmtls_identity *id;
	unsigned long i = 0;
	int bkt, ret = 0;

	mutex_lock(&kmtls_identity_lock);
	hash_for_each(kmtls_identities, bkt, id, node) {
		if (i++ < *pos)
			continue;
		ret = fill(arg, id->path, id->spiffe_id, id->cgid);
		if (ret)
			break;
		(*pos)++;
	}
	mutex_unlock(&kmtls_identity_lock);
	return ret;
}

static void kmtls_identity_gc_fn(struct work_struct *work)
{
	struct kmtls_identity *id;
	struct hlist_node *tmp;
	int bkt;

	mutex_lock(&kmtls_identity_lock);
	hash_for_each_safe(kmtls_identities, bkt, tmp, id, node)
		if (kmtls_cgroup_removed(id->cgrp))
			kmtls_identity_unhash(id);
	mutex_unlock(&kmtls_identity_lock);
	schedule_delayed_work(&kmtls_identity_gc_work,
			      msecs_to_jiffies(KMTLS_IDENTITY_GC_MS));
}

void kmtls_identity_init(void)
{
	INIT_DELAYED_WORK(&kmtls_identity_gc_work, kmtls_identity_gc_fn);
	schedule_delayed_work(&kmtls_identity_gc_work,
			      msecs_to_jiffies(KMTLS_IDENTITY_GC_MS));
}

void kmtls_identity_exit(void)
{
	struct kmtls_identity *id;
	struct hlist_node *tmp;
	int bkt;

	cancel_delayed_work_sync(&kmtls_identity_gc_work);
	mutex_lock(&kmtls_identity_lock);
	hash_for_each_safe(kmtls_identities, bkt, tmp, id, node)
		kmtls_identity_unhash(id);
	mutex_unlock(&kmtls_identity_lock);
	rcu_barrier();
}
