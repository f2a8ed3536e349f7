// SPDX-License-Identifier: GPL-2.0
/*
 * Declared destinations: address prefixes (IPv4 or IPv6) with a port range
 * whose TCP connections kmtls meshes, on the client side (a connection to
 * one) and on the server side (a connection accepted on one).  Each has a
 * mode (strict, permissive, disabled) and may declare the identity its
 * servers prove.  Where declarations overlap the most specific wins: the
 * longest prefix, then the narrowest port range.
 *
 * Writers serialise on kmtls_dest_lock; kmtls_dest_lookup() runs under RCU.
 * A node declares a handful of destinations, so a list is enough; policy
 * rules, which come by the thousand, get their own structure.
 */
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <linux/kmtls.h>

#include "kmtls.h"

#define KMTLS_DEST_MAX	4096

/* Lifetime: created by dest-add, unlinked by dest-del or at module exit
 * under kmtls_dest_lock, freed after an RCU grace period.
 */
struct kmtls_dest_entry {
	struct list_head node;
	struct rcu_head rcu;
	struct kmtls_dest d;	/* d.identity points to id, or is NULL */
	char id[];
};

static DEFINE_MUTEX(kmtls_dest_lock);
static LIST_HEAD(kmtls_dests);
static unsigned int kmtls_dest_count;

static bool kmtls_prefix_match(const u8 *a, const u8 *b, unsigned int plen)
{
	unsigned int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a, b, bytes))
		return false;
	if (!bits)
		return true;
	return !((a[bytes] ^ b[bytes]) & (0xff << (8 - bits)));
}

/* Host bits beyond the prefix must be zero, so that one prefix has one
 * spelling and del matches what add stored.
 */
static bool kmtls_prefix_clean(const u8 *a, unsigned int alen, unsigned int plen)
{
	unsigned int i;

	for (i = plen; i < alen * 8; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

int kmtls_dest_parse(struct nlattr **attrs, struct kmtls_dest *d,
		     struct netlink_ext_ack *extack)
{
	struct nlattr *a = attrs[KMTLS_A_DEST_ADDR];
	unsigned int alen, maxplen;

	memset(d, 0, sizeof(*d));
	if (!a) {
		NL_SET_ERR_MSG(extack, "destination address missing");
		return -EINVAL;
	}
	alen = nla_len(a);
	if (alen != 4 && alen != 16) {
		NL_SET_ERR_MSG_ATTR(extack, a, "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	d->family = alen == 4 ? AF_INET : AF_INET6;
	memcpy(d->addr, nla_data(a), alen);
	maxplen = alen * 8;
	d->prefix_len = maxplen;
	if (attrs[KMTLS_A_DEST_PREFIX_LEN])
		d->prefix_len = nla_get_u8(attrs[KMTLS_A_DEST_PREFIX_LEN]);
	if (d->prefix_len > maxplen) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[KMTLS_A_DEST_PREFIX_LEN],
				    "prefix length longer than the address");
		return -EINVAL;
	}
	if (!kmtls_prefix_clean(d->addr, alen, d->prefix_len)) {
		NL_SET_ERR_MSG_ATTR(extack, a, "address has bits set beyond the prefix length");
		return -EINVAL;
	}
	d->port_min = 1;
	d->port_max = 65535;
	if (attrs[KMTLS_A_DEST_PORT_MIN])
		d->port_min = nla_get_u16(attrs[KMTLS_A_DEST_PORT_MIN]);
	if (attrs[KMTLS_A_DEST_PORT_MAX])
		d->port_max = nla_get_u16(attrs[KMTLS_A_DEST_PORT_MAX]);
	else if (attrs[KMTLS_A_DEST_PORT_MIN])
		d->port_max = d->port_min;
	if (d->port_max < d->port_min) {
		NL_SET_ERR_MSG(extack, "port range is inverted (port-max < port-min)");
		return -EINVAL;
	}
	d->mode = KMTLS_DEST_MODE_STRICT;
	if (attrs[KMTLS_A_DEST_MODE])
		d->mode = nla_get_u8(attrs[KMTLS_A_DEST_MODE]);
	a = attrs[KMTLS_A_DEST_IDENTITY];
	if (a) {
		const char *why = NULL;

		if (!kmtls_spiffe_id_valid(nla_data(a), &why)) {
			/* @why points to a string literal, as extack needs */
			if (extack) {
				extack->_msg = why ?: "identity is not a SPIFFE ID";
				extack->bad_attr = a;
			}
			return -EINVAL;
		}
		if (d->mode == KMTLS_DEST_MODE_DISABLED) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "a disabled destination declares no identity");
			return -EINVAL;
		}
		d->identity = nla_data(a);
	}
	return 0;
}

static bool kmtls_dest_equal(const struct kmtls_dest *a, const struct kmtls_dest *b)
{
	return a->family == b->family && a->prefix_len == b->prefix_len &&
	       a->port_min == b->port_min && a->port_max == b->port_max &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static struct kmtls_dest_entry *kmtls_dest_find(const struct kmtls_dest *d)
{
	struct kmtls_dest_entry *e;

	lockdep_assert_held(&kmtls_dest_lock);
	list_for_each_entry(e, &kmtls_dests, node)
		if (kmtls_dest_equal(&e->d, d))
			return e;
	return NULL;
}

int kmtls_dest_add(const struct kmtls_dest *d, struct netlink_ext_ack *extack)
{
	size_t idlen = d->identity ? strlen(d->identity) + 1 : 0;
	struct kmtls_dest_entry *e;
	int ret;

	e = kzalloc(struct_size(e, id, idlen), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->d = *d;
	e->d.identity = NULL;
	if (idlen) {
		memcpy(e->id, d->identity, idlen);
		e->d.identity = e->id;
	}

	mutex_lock(&kmtls_dest_lock);
	ret = -EEXIST;
	if (kmtls_dest_find(d)) {
		NL_SET_ERR_MSG(extack, "destination already declared");
		goto err;
	}
	ret = -ENOSPC;
	if (kmtls_dest_count >= KMTLS_DEST_MAX) {
		NL_SET_ERR_MSG(extack, "too many destinations");
		goto err;
	}
	list_add_tail_rcu(&e->node, &kmtls_dests);
	kmtls_dest_count++;
	mutex_unlock(&kmtls_dest_lock);
	return 0;
err:
	mutex_unlock(&kmtls_dest_lock);
	kfree(e);
	return ret;
}

int kmtls_dest_del(const struct kmtls_dest *d, struct netlink_ext_ack *extack)
{
	struct kmtls_dest_entry *e;

	mutex_lock(&kmtls_dest_lock);
	e = kmtls_dest_find(d);
	if (e) {
		list_del_rcu(&e->node);
		kmtls_dest_count--;
		kfree_rcu(e, rcu);
	} else {
		NL_SET_ERR_MSG(extack, "no such destination (give it as dest show prints it)");
	}
	mutex_unlock(&kmtls_dest_lock);
	return e ? 0 : -ENOENT;
}

/*
 * The mode of the most specific declared destination holding (family,
 * addr, port), or 0 when none does.  @addr is 4 or 16 bytes in network
 * order; IPv4-mapped IPv6 addresses match IPv4 prefixes.  When @identity
 * is given it receives a copy of the destination's declared identity (or
 * NULL); the caller frees it.  KMTLS_DEST_LOOKUP_NOMEM: the identity
 * could not be copied (the caller must not mesh without it).
 */
u8 kmtls_dest_lookup(int family, const void *addr, u16 port, char **identity,
		     gfp_t gfp)
{
	struct kmtls_dest_entry *e, *best = NULL;
	const u8 *a = addr;
	u8 mode = 0;

	if (identity)
		*identity = NULL;
	if (family == AF_INET6 && ipv6_addr_v4mapped(addr)) {
		family = AF_INET;
		a += 12;
	}
	rcu_read_lock();
	list_for_each_entry_rcu(e, &kmtls_dests, node) {
		if (e->d.family != family || port < e->d.port_min ||
		    port > e->d.port_max ||
		    !kmtls_prefix_match(e->d.addr, a, e->d.prefix_len))
			continue;
		if (!best || e->d.prefix_len > best->d.prefix_len ||
		    (e->d.prefix_len == best->d.prefix_len &&
		     e->d.port_max - e->d.port_min <
		     best->d.port_max - best->d.port_min))
			best = e;
	}
	if (best) {
		mode = best->d.mode;
		if (identity && best->d.identity) {
			*identity = kstrdup(best->d.identity, gfp);
			if (!*identity && mode != KMTLS_DEST_MODE_DISABLED)
				mode = KMTLS_DEST_LOOKUP_NOMEM;
		}
	}
	rcu_read_unlock();
	return mode;
}

int kmtls_dest_walk(unsigned long *pos,
		    int (*fill)(void *arg, const struct kmtls_dest *d), void *arg)
{
	struct kmtls_dest_entry *e;
	unsigned long i = 0;
	int ret = 0;

	mutex_lock(&kmtls_dest_lock);
	list_for_each_entry(e, &kmtls_dests, node) {
		if (i++ < *pos)
			continue;
		ret = fill(arg, &e->d);
		if (ret)
			break;
		(*pos)++;
	}
	mutex_unlock(&kmtls_dest_lock);
	return ret;
}

void kmtls_dest_exit(void)
{
	struct kmtls_dest_entry *e, *tmp;

	mutex_lock(&kmtls_dest_lock);
	list_for_each_entry_safe(e, tmp, &kmtls_dests, node) {
		list_del_rcu(&e->node);
		kfree_rcu(e, rcu);
	}
	kmtls_dest_count = 0;
	mutex_unlock(&kmtls_dest_lock);
	rcu_barrier();
}
