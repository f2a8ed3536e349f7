// SPDX-License-Identifier: GPL-2.0
/*
 * Policy: client identity pattern x server identity pattern x server port
 * range -> allow, deny or audit.  Semantics in docs/policy.md:
 *
 *   1. a deny rule matches                      -> deny
 *   2. an allow or audit rule matches           -> allow
 *   3. an allow rule names the server's identity -> deny
 *   4. an audit rule names it                   -> allow, "would deny"
 *   5. otherwise the node default (allow, deny, or audit = allow and
 *      "would deny")
 *
 * A pattern is "*", "spiffe://TD/" + "*", "spiffe://TD/PATH/" + "*" or an
 * exact ID; in its key form a prefix (up to and including a '/') plus
 * "wildcard", or the whole ID.  A rule set has two resizable hash tables
 * (rhltable, so chains stay short at any size):
 *
 *   - keys: every key some rule uses, with how many rules use it as src
 *     and as dst, and how many allow and audit rules name it;
 *   - rules: the rules, by the hash of their pair (src key, dst key).
 *
 * A decision enumerates the keys an ID can match (the ID, each '/'-prefix
 * as a wildcard, "*": at most 18) on both sides, keeps those the keys
 * table has, and looks up only the pairs of those: its cost depends on
 * the IDs' depth and on which keys rules use, never on the number of
 * rules.  Every rule is also on one of a fixed number of lists, which
 * dumps walk and resume by position.  A client without an identity (a
 * plaintext client a permissive destination admitted) matches only "*".
 *
 * Sets: readers take one rcu_dereference() of the current set, so a
 * connection is judged entirely by one set.  add and del change the
 * current set in place, one rule at a time; policy-commit swaps in the set a
 * netlink socket staged (policy-add with stage) and frees the old one
 * after a grace period.  A staged set is dropped when its socket closes.
 * After every change of the current set, established flows are judged
 * again (flow.c) and those now denied reset, unless the change says keep.
 *
 * Writers serialise on kmtls_policy_lock; decisions run under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kmtls.h>
#include <net/genetlink.h>

#include "kmtls.h"

#define KMTLS_RULES_MAX		1048576
#define KMTLS_WILD_DEPTH_MAX	15	/* path segments before a "/" + "*" */
#define KMTLS_KEYS_MAX		(KMTLS_WILD_DEPTH_MAX + 3)	/* ID, prefixes, "*" */
#define KMTLS_DUMP_BITS		12
#define KMTLS_STAGES_MAX	16

struct kmtls_key {
	const char *p;
	u16 len;
	bool wild;
};

/*
 * Lifetime: added to a set by policy-add, unhashed by policy-del (freed
 * after an RCU grace period) or freed with its set.  The two patterns, as
 * given, follow the struct: src at pat, dst at pat + src_size.
 */
struct kmtls_rule {
	struct rhlist_head node;	/* in rules, by hash */
	struct hlist_node dump;		/* in dump[], by hash */
	struct rcu_head rcu;
	atomic64_t hits;
	u32 hash;
	u16 port_min, port_max;
	u16 src_len, dst_len;	/* key lengths */
	u16 src_size;		/* strlen(src) + 1 */
	u8 action;
	bool src_wild, dst_wild;
	char pat[];
};

/*
 * A key some rule of the set uses: how many rules have it as src and as
 * dst, and how many allow and audit rules name it (as dst).  Decisions
 * look up the keys of both IDs here first and probe only the rule pairs
 * whose keys exist, so a probe that cannot hit costs one lookup, not six.
 */
struct kmtls_pkey {
	struct rhlist_head node;
	struct rcu_head rcu;
	u32 hash;			/* kmtls_key_hash() */
	u32 as_src, as_dst;
	u32 allow, audit;
	atomic64_t denied, would_deny;	/* implicit decisions */
	bool wild;
	u16 len;
	char key[];
};

struct kmtls_pset {
	unsigned int count;
	struct rhltable rules;
	struct rhltable keys;
	struct hlist_head dump[1 << KMTLS_DUMP_BITS];
};

/*
 * Both tables are keyed by the 32-bit jhash the structs carry (equal hashes
 * share a list).  The table hashes it again with its own seed, so that a
 * rehash with a new seed does split long chains.
 */
static u32 kmtls_hashfn(const void *data, u32 len, u32 seed)
{
	return jhash_1word(*(const u32 *)data, seed);
}

static const struct rhashtable_params kmtls_rule_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct kmtls_rule, hash),
	.head_offset = offsetof(struct kmtls_rule, node),
	.hashfn = kmtls_hashfn,
	.automatic_shrinking = true,
};

static const struct rhashtable_params kmtls_pkey_params = {
	.key_len = sizeof(u32),
	.key_offset = offsetof(struct kmtls_pkey, hash),
	.head_offset = offsetof(struct kmtls_pkey, node),
	.hashfn = kmtls_hashfn,
	.automatic_shrinking = true,
};

/* A netlink socket's staged set, until it commits or closes. */
struct kmtls_stage {
	struct list_head node;
	u32 portid;
	struct kmtls_pset *set;
};

static DEFINE_MUTEX(kmtls_policy_lock);
static struct kmtls_pset __rcu *kmtls_pset;
static LIST_HEAD(kmtls_stages);
static unsigned int kmtls_stage_count;

static inline const char *kmtls_rule_src(const struct kmtls_rule *r)
{
	return r->pat;
}

static inline const char *kmtls_rule_dst(const struct kmtls_rule *r)
{
	return r->pat + r->src_size;
}

static struct kmtls_pset *kmtls_pset_cur(void)
{
	return rcu_dereference_protected(kmtls_pset,
					 lockdep_is_held(&kmtls_policy_lock));
}

static unsigned int kmtls_slashes(const char *s, size_t len)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += s[i] == '/';
	return n;
}

/* A pattern's key, or -EINVAL with a reason. */
static int kmtls_pattern_key(const char *s, struct kmtls_key *k,
			     const char **why)
{
	size_t len = strlen(s);
	char *probe;
	bool ok;

	if (!strcmp(s, "*")) {
		*k = (struct kmtls_key){ s, 0, true };
		return 0;
	}
	if (len >= 2 && !strcmp(s + len - 2, "/*")) {
		/* A wildcard "spiffe://td/a/" + "*" is valid iff
		 * "spiffe://td/a/x" is a valid ID.
		 */
		probe = kasprintf(GFP_KERNEL, "%.*sx", (int)(len - 1), s);
		if (!probe)
			return -ENOMEM;
		ok = kmtls_spiffe_id_valid(probe, why);
		kfree(probe);
		if (!ok)
			return -EINVAL;
		/* "spiffe://" holds two slashes; the trust domain ends at one */
		if (kmtls_slashes(s, len - 1) - 3 > KMTLS_WILD_DEPTH_MAX) {
			*why = "a wildcard pattern may have at most 15 path segments before /*";
			return -EINVAL;
		}
		*k = (struct kmtls_key){ s, len - 1, true };
		return 0;
	}
	if (!kmtls_spiffe_id_valid(s, why))
		return -EINVAL;
	*k = (struct kmtls_key){ s, len, false };
	return 0;
}

static u32 kmtls_key_hash(const struct kmtls_key *k)
{
	return jhash(k->p, k->len, k->wild ? 0x2a : 0);
}

/*
 * The keys that can match @id, most specific first; returns how many.  No
 * identity (NULL): only "*".  The wildcard keys are @id's prefixes ending
 * at a '/' after the trust domain, from the shallowest (spiffe://td/) to
 * KMTLS_WILD_DEPTH_MAX segments deep: wildcard patterns go no deeper, so
 * every pattern that can match a deep ID is among them.
 */
static int kmtls_id_keys(const char *id, struct kmtls_key *keys)
{
	u16 ends[KMTLS_WILD_DEPTH_MAX + 1];
	size_t len, i;
	int n = 0, w = 0;

	if (!id) {
		keys[n++] = (struct kmtls_key){ "", 0, true };
		return n;
	}
	len = strlen(id);
	keys[n++] = (struct kmtls_key){ id, len, false };
	/* A valid ID starts "spiffe://": prefixes end after index 9. */
	for (i = 9; i < len && w < ARRAY_SIZE(ends); i++)
		if (id[i] == '/')
			ends[w++] = i + 1;
	while (w--)
		keys[n++] = (struct kmtls_key){ id, ends[w], true };
	keys[n++] = (struct kmtls_key){ id, 0, true };
	return n;
}

static bool kmtls_key_eq(const char *p, u16 len, bool wild,
			 const struct kmtls_key *k)
{
	return len == k->len && wild == k->wild && !memcmp(p, k->p, len);
}

/* Under RCU. */
static struct kmtls_pkey *kmtls_pkey_find(struct kmtls_pset *s,
					  const struct kmtls_key *k, u32 h)
{
	struct rhlist_head *list, *pos;
	struct kmtls_pkey *pk;

	list = rhltable_lookup(&s->keys, &h, kmtls_pkey_params);
	rhl_for_each_entry_rcu(pk, pos, list, node)
		if (kmtls_key_eq(pk->key, pk->len, pk->wild, k))
			return pk;
	return NULL;
}

/*
 * Decide for client @src (NULL: no identity), server @dst, server @port
 * with set @s, under RCU.  Counts the decision when @count.
 */
static u8 kmtls_pset_decide(struct kmtls_pset *s, const char *src,
			    const char *dst, u16 port, bool count,
			    bool *would_deny)
{
	struct kmtls_key sk[KMTLS_KEYS_MAX], dk[KMTLS_KEYS_MAX];
	struct kmtls_pkey *dpk[KMTLS_KEYS_MAX];
	u32 sh[KMTLS_KEYS_MAX], dh[KMTLS_KEYS_MAX];
	struct kmtls_rule *r, *deny = NULL, *allow = NULL;
	struct kmtls_pkey *pk, *named_allow = NULL, *named_audit = NULL;
	struct rhlist_head *list, *pos;
	int ns, nd, i, j, n;
	u8 def;

	*would_deny = false;
	/* The keys of each ID that some rule uses, most specific first. */
	n = kmtls_id_keys(src, sk);
	for (i = 0, ns = 0; i < n; i++) {
		u32 h = kmtls_key_hash(&sk[i]);

		pk = kmtls_pkey_find(s, &sk[i], h);
		if (pk && READ_ONCE(pk->as_src)) {
			sk[ns] = sk[i];
			sh[ns++] = h;
		}
	}
	n = kmtls_id_keys(dst, dk);
	for (j = 0, nd = 0; j < n; j++) {
		u32 h = kmtls_key_hash(&dk[j]);

		pk = kmtls_pkey_find(s, &dk[j], h);
		if (pk && READ_ONCE(pk->as_dst)) {
			dk[nd] = dk[j];
			dpk[nd] = pk;
			dh[nd++] = h;
		}
	}

	for (i = 0; i < ns && !deny; i++) {
		for (j = 0; j < nd && !deny; j++) {
			u32 h = jhash_2words(sh[i], dh[j], 0);

			list = rhltable_lookup(&s->rules, &h, kmtls_rule_params);
			rhl_for_each_entry_rcu(r, pos, list, node) {
				if (port < r->port_min ||
				    port > r->port_max ||
				    !kmtls_key_eq(kmtls_rule_src(r), r->src_len,
						  r->src_wild, &sk[i]) ||
				    !kmtls_key_eq(kmtls_rule_dst(r), r->dst_len,
						  r->dst_wild, &dk[j]))
					continue;
				if (r->action == KMTLS_ACTION_DENY) {
					deny = r;
					break;
				}
				if (!allow)
					allow = r;
			}
		}
	}
	if (deny || allow) {
		if (count)
			atomic64_inc(&(deny ?: allow)->hits);
		return deny ? KMTLS_ACTION_DENY : KMTLS_ACTION_ALLOW;
	}
	for (j = 0; j < nd; j++) {
		if (READ_ONCE(dpk[j]->allow) && !named_allow)
			named_allow = dpk[j];
		if (READ_ONCE(dpk[j]->audit) && !named_audit)
			named_audit = dpk[j];
	}
	if (named_allow) {
		if (count)
			atomic64_inc(&named_allow->denied);
		return KMTLS_ACTION_DENY;
	}
	if (named_audit) {
		if (count)
			atomic64_inc(&named_audit->would_deny);
		*would_deny = true;
		return KMTLS_ACTION_ALLOW;
	}

	def = kmtls_config_policy_default();
	if (def == KMTLS_ACTION_AUDIT) {
		*would_deny = true;
		return KMTLS_ACTION_ALLOW;
	}
	return def;
}

/*
 * Decide for client @src (NULL: no identity), server @dst, server @port
 * with the current set.  Any context.  *would_deny is set when audit let
 * the connection through.  @count: count the decision against its rule.
 */
u8 kmtls_policy_decide(const char *src, const char *dst, u16 port,
		       bool count, bool *would_deny)
{
	u8 v;

	rcu_read_lock();
	v = kmtls_pset_decide(rcu_dereference(kmtls_pset), src, dst, port,
			      count, would_deny);
	rcu_read_unlock();
	return v;
}

/* policy-check: the decision, counting nothing, @repeat times, timed. */
int kmtls_policy_check(const char *src, const char *dst, u16 port,
		       u32 repeat, bool *would_deny, u64 *elapsed_ns,
		       struct netlink_ext_ack *extack)
{
	const char *why = NULL;
	u64 t0;
	u32 i;
	u8 v = 0;

	if (!kmtls_spiffe_id_valid(src, &why) ||
	    !kmtls_spiffe_id_valid(dst, &why)) {
		/* @why points to a string literal, as extack needs */
		if (extack)
			extack->_msg = why ?: "src and dst must be SPIFFE IDs";
		return -EINVAL;
	}
	t0 = ktime_get_ns();
	for (i = 0; i < repeat; i++) {
		v = kmtls_policy_decide(src, dst, port, false, would_deny);
		if (!(i & 1023))
			cond_resched();
	}
	*elapsed_ns = ktime_get_ns() - t0;
	return v;
}

/* A new, empty set, its tables sized for about @hint rules. */
static struct kmtls_pset *kmtls_pset_new(u32 hint)
{
	struct kmtls_pset *s = kvzalloc(sizeof(*s), GFP_KERNEL);
	struct rhashtable_params rp = kmtls_rule_params;
	struct rhashtable_params kp = kmtls_pkey_params;

	if (!s)
		return NULL;
	rp.nelem_hint = min_t(u32, hint, U16_MAX);
	kp.nelem_hint = rp.nelem_hint;
	if (rhltable_init(&s->rules, &rp)) {
		kvfree(s);
		return NULL;
	}
	if (rhltable_init(&s->keys, &kp)) {
		rhltable_destroy(&s->rules);
		kvfree(s);
		return NULL;
	}
	return s;
}

/* rhltable_free_and_destroy() hands over each object. */
static void kmtls_pkey_free(void *ptr, void *arg)
{
	kfree(ptr);
}

/* Free a set no reader can see any more.  Process context. */
static void kmtls_pset_free(struct kmtls_pset *s)
{
	struct kmtls_rule *r;
	struct hlist_node *tmp;
	unsigned int i;

	if (!s)
		return;
	rhltable_destroy(&s->rules);
	rhltable_free_and_destroy(&s->keys, kmtls_pkey_free, NULL);
	for (i = 0; i < ARRAY_SIZE(s->dump); i++) {
		hlist_for_each_entry_safe(r, tmp, &s->dump[i], dump)
			kfree(r);
		cond_resched();
	}
	kvfree(s);
}

/*
 * Count a use of key @k in (@delta 1) or out of (-1) the key table: as
 * src (@what 0), as dst (1), or as the name of an allow or audit rule's
 * destination (2: @action says which).  Readers see the counts change one
 * at a time (READ_ONCE).
 */
enum { KMTLS_USE_SRC, KMTLS_USE_DST, KMTLS_USE_NAME };

static int kmtls_pkey_account(struct kmtls_pset *s, const struct kmtls_key *k,
			      int what, u8 action, int delta)
{
	u32 h = kmtls_key_hash(k);
	struct kmtls_pkey *pk;

	lockdep_assert_held(&kmtls_policy_lock);
	rcu_read_lock();
	pk = kmtls_pkey_find(s, k, h);
	rcu_read_unlock();
	if (!pk) {
		int err;

		if (delta < 0 || what == KMTLS_USE_NAME)
			return 0;
		pk = kzalloc(struct_size(pk, key, k->len + 1), GFP_KERNEL);
		if (!pk)
			return -ENOMEM;
		pk->hash = h;
		pk->wild = k->wild;
		pk->len = k->len;
		memcpy(pk->key, k->p, k->len);
		err = rhltable_insert(&s->keys, &pk->node, kmtls_pkey_params);
		if (err) {
			kfree(pk);
			return err;
		}
	}
	if (what == KMTLS_USE_SRC)
		WRITE_ONCE(pk->as_src, pk->as_src + delta);
	else if (what == KMTLS_USE_DST)
		WRITE_ONCE(pk->as_dst, pk->as_dst + delta);
	else if (action == KMTLS_ACTION_ALLOW)
		WRITE_ONCE(pk->allow, pk->allow + delta);
	else if (action == KMTLS_ACTION_AUDIT)
		WRITE_ONCE(pk->audit, pk->audit + delta);
	if (!pk->as_src && !pk->as_dst) {
		rhltable_remove(&s->keys, &pk->node, kmtls_pkey_params);
		kfree_rcu(pk, rcu);
	}
	return 0;
}

/* Count both keys of @r as used (@delta 1) or no longer (-1). */
static int kmtls_rule_use(struct kmtls_pset *s, const struct kmtls_rule *r,
			  int delta)
{
	struct kmtls_key sk = { kmtls_rule_src(r), r->src_len, r->src_wild };
	struct kmtls_key dk = { kmtls_rule_dst(r), r->dst_len, r->dst_wild };
	int err;

	err = kmtls_pkey_account(s, &sk, KMTLS_USE_SRC, r->action, delta);
	if (err)
		return err;
	err = kmtls_pkey_account(s, &dk, KMTLS_USE_DST, r->action, delta);
	if (err)
		kmtls_pkey_account(s, &sk, KMTLS_USE_SRC, r->action, -delta);
	return err;
}

/* An allow or audit rule @r names its destination (@delta 1) or not (-1). */
static void kmtls_rule_name(struct kmtls_pset *s, const struct kmtls_rule *r,
			    int delta)
{
	struct kmtls_key dk = { kmtls_rule_dst(r), r->dst_len, r->dst_wild };

	kmtls_pkey_account(s, &dk, KMTLS_USE_NAME, r->action, delta);
}

static struct kmtls_rule *kmtls_rule_find(struct kmtls_pset *s,
					  const struct kmtls_rule *want)
{
	struct rhlist_head *list, *pos;
	struct kmtls_rule *r, *found = NULL;

	lockdep_assert_held(&kmtls_policy_lock);
	rcu_read_lock();
	list = rhltable_lookup(&s->rules, &want->hash, kmtls_rule_params);
	rhl_for_each_entry_rcu(r, pos, list, node)
		if (r->action == want->action &&
		    r->port_min == want->port_min &&
		    r->port_max == want->port_max &&
		    r->src_size == want->src_size &&
		    !strcmp(kmtls_rule_src(r), kmtls_rule_src(want)) &&
		    !strcmp(kmtls_rule_dst(r), kmtls_rule_dst(want))) {
			found = r;
			break;
		}
	rcu_read_unlock();
	return found;
}

/* Build a rule from netlink attributes (validated by the policy). */
static struct kmtls_rule *kmtls_rule_parse(struct nlattr **a,
					   struct netlink_ext_ack *extack)
{
	struct nlattr *src = a[KMTLS_A_POLICY_SRC], *dst = a[KMTLS_A_POLICY_DST];
	struct kmtls_key sk, dk;
	struct kmtls_rule *r;
	const char *why = NULL;
	size_t ssize, dsize;
	int err;

	if (!src || !dst || !a[KMTLS_A_POLICY_ACTION]) {
		NL_SET_ERR_MSG(extack, "a rule needs src, dst and action");
		return ERR_PTR(-EINVAL);
	}
	err = kmtls_pattern_key(nla_data(src), &sk, &why);
	if (err) {
		/* @why points to a string literal, as extack needs */
		if (extack) {
			extack->_msg = why ?: "bad src pattern";
			extack->bad_attr = src;
		}
		return ERR_PTR(err);
	}
	err = kmtls_pattern_key(nla_data(dst), &dk, &why);
	if (err) {
		if (extack) {
			extack->_msg = why ?: "bad dst pattern";
			extack->bad_attr = dst;
		}
		return ERR_PTR(err);
	}
	ssize = strlen(nla_data(src)) + 1;
	dsize = strlen(nla_data(dst)) + 1;
	r = kzalloc(struct_size(r, pat, ssize + dsize), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->port_min = a[KMTLS_A_POLICY_PORT_MIN] ?
		      nla_get_u16(a[KMTLS_A_POLICY_PORT_MIN]) : 1;
	r->port_max = a[KMTLS_A_POLICY_PORT_MAX] ?
		      nla_get_u16(a[KMTLS_A_POLICY_PORT_MAX]) : 65535;
	if (r->port_min > r->port_max) {
		NL_SET_ERR_MSG(extack, "port range is inverted");
		kfree(r);
		return ERR_PTR(-EINVAL);
	}
	r->action = nla_get_u8(a[KMTLS_A_POLICY_ACTION]);
	r->src_size = ssize;
	memcpy(r->pat, nla_data(src), ssize);
	memcpy(r->pat + ssize, nla_data(dst), dsize);
	r->src_len = sk.len;
	r->src_wild = sk.wild;
	r->dst_len = dk.len;
	r->dst_wild = dk.wild;
	sk.p = kmtls_rule_src(r);
	dk.p = kmtls_rule_dst(r);
	r->hash = jhash_2words(kmtls_key_hash(&sk), kmtls_key_hash(&dk), 0);
	return r;
}

/* Add @r to @s; on failure the caller still owns @r. */
static int kmtls_pset_add(struct kmtls_pset *s, struct kmtls_rule *r,
			  struct netlink_ext_ack *extack)
{
	int ret;

	lockdep_assert_held(&kmtls_policy_lock);
	if (kmtls_rule_find(s, r)) {
		NL_SET_ERR_MSG(extack, "rule already exists");
		return -EEXIST;
	}
	if (s->count >= KMTLS_RULES_MAX) {
		NL_SET_ERR_MSG(extack, "too many rules");
		return -ENOSPC;
	}
	/*
	 * In an order that gives each decision made meanwhile the old or the
	 * new answer: the keys first (they only let decisions probe), then
	 * the rule, then its name (which denies what the rule does not allow).
	 */
	ret = kmtls_rule_use(s, r, 1);
	if (ret)
		return ret;
	ret = rhltable_insert(&s->rules, &r->node, kmtls_rule_params);
	if (ret) {
		kmtls_rule_use(s, r, -1);
		return ret;
	}
	kmtls_rule_name(s, r, 1);
	hlist_add_head_rcu(&r->dump, &s->dump[hash_32(r->hash, KMTLS_DUMP_BITS)]);
	s->count++;
	return 0;
}

static struct kmtls_stage *kmtls_stage_find(u32 portid)
{
	struct kmtls_stage *st;

	lockdep_assert_held(&kmtls_policy_lock);
	list_for_each_entry(st, &kmtls_stages, node)
		if (st->portid == portid)
			return st;
	return NULL;
}

/* The set @portid stages into, created on its first staged rule. */
static struct kmtls_pset *kmtls_stage_set(u32 portid, u32 hint,
					  struct netlink_ext_ack *extack)
{
	struct kmtls_stage *st = kmtls_stage_find(portid);

	if (st)
		return st->set;
	if (kmtls_stage_count >= KMTLS_STAGES_MAX) {
		NL_SET_ERR_MSG(extack, "too many policy restores in progress");
		return ERR_PTR(-EBUSY);
	}
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return ERR_PTR(-ENOMEM);
	st->set = kmtls_pset_new(hint);
	if (!st->set) {
		kfree(st);
		return ERR_PTR(-ENOMEM);
	}
	st->portid = portid;
	list_add(&st->node, &kmtls_stages);
	WRITE_ONCE(kmtls_stage_count, kmtls_stage_count + 1);
	return st->set;
}

/* Take @portid's staged set out of the list (NULL if none). */
static struct kmtls_pset *kmtls_stage_take(u32 portid)
{
	struct kmtls_stage *st = kmtls_stage_find(portid);
	struct kmtls_pset *s;

	if (!st)
		return NULL;
	list_del(&st->node);
	WRITE_ONCE(kmtls_stage_count, kmtls_stage_count - 1);
	s = st->set;
	kfree(st);
	return s;
}

/* Judge established flows again after a change of the current set. */
static void kmtls_policy_changed(bool keep, struct kmtls_policy_result *res)
{
	lockdep_assert_held(&kmtls_policy_lock);
	kmtls_flow_rejudge(keep, res);
}

/*
 * Add the rule @a describes: to the set @portid stages (@stage; @hint:
 * about how many rules it will hold, used when it is created), or to the
 * current set, then judge established flows again.
 */
int kmtls_policy_add(struct nlattr **a, bool stage, u32 hint, u32 portid,
		     bool keep, struct kmtls_policy_result *res,
		     struct netlink_ext_ack *extack)
{
	struct kmtls_rule *r = kmtls_rule_parse(a, extack);
	struct kmtls_pset *s;
	int ret;

	if (IS_ERR(r))
		return PTR_ERR(r);
	mutex_lock(&kmtls_policy_lock);
	s = stage ? kmtls_stage_set(portid, hint, extack) : kmtls_pset_cur();
	ret = IS_ERR(s) ? PTR_ERR(s) : kmtls_pset_add(s, r, extack);
	if (!ret) {
		r = NULL;
		if (!stage)
			kmtls_policy_changed(keep, res);
	}
	mutex_unlock(&kmtls_policy_lock);
	kfree(r);
	return ret;
}

int kmtls_policy_del(struct nlattr **a, bool keep,
		     struct kmtls_policy_result *res,
		     struct netlink_ext_ack *extack)
{
	struct kmtls_rule *want = kmtls_rule_parse(a, extack), *r;
	struct kmtls_pset *s;
	int ret = 0;

	if (IS_ERR(want))
		return PTR_ERR(want);
	mutex_lock(&kmtls_policy_lock);
	s = kmtls_pset_cur();
	r = kmtls_rule_find(s, want);
	if (r) {
		/* The reverse order of kmtls_pset_add(). */
		kmtls_rule_name(s, r, -1);
		rhltable_remove(&s->rules, &r->node, kmtls_rule_params);
		hlist_del_rcu(&r->dump);
		kmtls_rule_use(s, r, -1);
		s->count--;
		kfree_rcu(r, rcu);
		kmtls_policy_changed(keep, res);
	} else {
		NL_SET_ERR_MSG(extack, "no such rule");
		ret = -ENOENT;
	}
	mutex_unlock(&kmtls_policy_lock);
	kfree(want);
	return ret;
}

/* Make @s the current set; the old one is freed once no reader sees it. */
static void kmtls_pset_swap(struct kmtls_pset *s, bool keep,
			    struct kmtls_policy_result *res)
{
	struct kmtls_pset *old;

	lockdep_assert_held(&kmtls_policy_lock);
	old = kmtls_pset_cur();
	rcu_assign_pointer(kmtls_pset, s);
	if (res)
		res->rules = s->count;
	kmtls_policy_changed(keep, res);
	synchronize_rcu();
	kmtls_pset_free(old);
}

/* policy-commit: @portid's staged set (or the empty set) replaces all. */
int kmtls_policy_commit(u32 portid, bool keep, struct kmtls_policy_result *res)
{
	struct kmtls_pset *s;

	mutex_lock(&kmtls_policy_lock);
	s = kmtls_stage_take(portid) ?: kmtls_pset_new(0);
	if (s)
		kmtls_pset_swap(s, keep, res);
	mutex_unlock(&kmtls_policy_lock);
	return s ? 0 : -ENOMEM;
}

int kmtls_policy_flush(bool keep, struct kmtls_policy_result *res)
{
	struct kmtls_pset *s = kmtls_pset_new(0);

	if (!s)
		return -ENOMEM;
	mutex_lock(&kmtls_policy_lock);
	kmtls_pset_swap(s, keep, res);
	mutex_unlock(&kmtls_policy_lock);
	return 0;
}

/* The node default changed: judge established flows again. */
void kmtls_policy_default_changed(void)
{
	mutex_lock(&kmtls_policy_lock);
	kmtls_policy_changed(false, NULL);
	mutex_unlock(&kmtls_policy_lock);
}

/* A netlink socket closed: drop what it staged. */
void kmtls_policy_release(u32 portid)
{
	struct kmtls_pset *s;

	/* Every generic netlink socket of the node closes through here. */
	if (!READ_ONCE(kmtls_stage_count))
		return;
	mutex_lock(&kmtls_policy_lock);
	s = kmtls_stage_take(portid);
	mutex_unlock(&kmtls_policy_lock);
	kmtls_pset_free(s);	/* never visible to readers */
}

unsigned int kmtls_policy_rules(void)
{
	unsigned int n;

	rcu_read_lock();
	n = READ_ONCE(rcu_dereference(kmtls_pset)->count);
	rcu_read_unlock();
	return n;
}

/* Dump from bucket pos[0], entry pos[1] within it, of the current set. */
int kmtls_policy_walk(unsigned long *pos,
		      int (*fill)(void *arg, const char *src, const char *dst,
				  u16 pmin, u16 pmax, u8 action, u64 hits),
		      void *arg)
{
	struct kmtls_pset *s;
	struct kmtls_rule *r;
	unsigned long bkt, idx;
	int ret = 0;

	rcu_read_lock();
	s = rcu_dereference(kmtls_pset);
	for (bkt = pos[0]; bkt < ARRAY_SIZE(s->dump); bkt++, pos[1] = 0) {
		idx = 0;
		hlist_for_each_entry_rcu(r, &s->dump[bkt], dump) {
			if (idx++ < pos[1])
				continue;
			ret = fill(arg, kmtls_rule_src(r), kmtls_rule_dst(r),
				   r->port_min, r->port_max, r->action,
				   atomic64_read(&r->hits));
			if (ret)
				goto out;
			pos[1] = idx;
		}
		pos[0] = bkt + 1;
	}
out:
	rcu_read_unlock();
	return ret;
}

int kmtls_policy_init(void)
{
	struct kmtls_pset *s = kmtls_pset_new(0);

	if (!s)
		return -ENOMEM;
	RCU_INIT_POINTER(kmtls_pset, s);
	return 0;
}

void kmtls_policy_exit(void)
{
	struct kmtls_stage *st, *tmp;

	list_for_each_entry_safe(st, tmp, &kmtls_stages, node) {
		list_del(&st->node);
		kmtls_pset_free(st->set);
		kfree(st);
	}
	kmtls_stage_count = 0;
	rcu_barrier();	/* rules and names freed by del */
	kmtls_pset_free(rcu_dereference_protected(kmtls_pset, 1));
	RCU_INIT_POINTER(kmtls_pset, NULL);
}
