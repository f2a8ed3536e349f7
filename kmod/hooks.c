// SPDX-License-Identifier: GPL-2.0
/*
 * Netfilter hooks: where kmtls first sees a connection.
 *
 * - LOCAL_OUT, a client's SYN: skb->sk is the connecting socket, in the
 *   task calling connect(), socket locked.  A socket with an identity (its
 *   cgroup's) connecting to a declared destination is meshed.
 * - LOCAL_IN, a SYN to a declared local destination: the listener it will
 *   reach is meshed when it has an identity.
 *
 * A meshed client socket is held (flow.c, gate.c) before its SYN leaves;
 * a meshed listener gets the wrapper proto, so the children accept()
 * returns are held.  Meshed connections need the handshake daemon.  Until
 * it is attached they fail closed, at once and without a byte on the wire:
 * the client's connect() fails with ECONNREFUSED (its SYN never leaves:
 * TCP passes only that error back from the first transmit), and a SYN to a
 * meshed listener is answered with a reset, so the remote client's
 * connect() fails with ECONNREFUSED too.  A SYN that carries data (TCP
 * Fast Open) would put plaintext on the wire: it is refused the same way.
 * Everything else passes untouched.
 *
 * A destination's mode (dest.c) can make it permissive (the server side
 * admits plaintext clients, flow.c) or disabled (left alone here).  When
 * the server's identity is known before the handshake (the destination
 * declares it, or the server listens on this node), the policy judges the
 * client's connect() here, and a denied one fails before its SYN leaves.
 *
 * Hooks are registered in every network namespace (pods live in their
 * own); the configuration they consult is node-wide.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <linux/version.h>
#include <net/inet_hashtables.h>
#include <net/inet6_hashtables.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/kmtls.h>

#include "kmtls.h"

/* TCP_FASTOPEN_CONNECT: connect() deferred until the first write. */
static bool kmtls_defer_connect(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return inet_test_bit(DEFER_CONNECT, sk);
#else
	return inet_sk(sk)->defer_connect;
#endif
}

/* The SYN (not SYN-ACK) of a TCP segment whose header starts at @off. */
static const struct tcphdr *kmtls_syn(const struct sk_buff *skb, int off,
				      struct tcphdr *buf)
{
	const struct tcphdr *th = skb_header_pointer(skb, off, sizeof(*buf), buf);

	if (!th || !th->syn || th->ack || th->rst)
		return NULL;
	return th;
}

/*
 * When the server's identity is known before the handshake, the policy
 * judges the connection before its SYN leaves (client = this socket's
 * identity, server = @server).  A denial fails connect() with
 * ECONNREFUSED, the only errno TCP hands back from the first transmit, and
 * no packet leaves.  Only a denial is counted: an allowed connection is
 * judged again, and counted, at handshake-done.
 */
static bool kmtls_client_denied(struct sock *sk, const char *server)
{
	char *local = kmtls_identity_dup(sk, GFP_ATOMIC);
	u16 port = ntohs(sk->sk_dport);
	bool would;
	u8 v;

	if (!local)
		return true;
	v = kmtls_policy_decide(local, server, port, false, &would);
	if (v == KMTLS_ACTION_DENY)
		kmtls_policy_decide(local, server, port, true, &would);
	kfree(local);
	if (v == KMTLS_ACTION_DENY) {
		atomic64_inc(&kmtls_stats.policy_denied);
		return true;
	}
	return false;
}

#define KMTLS_NODE_NETNS_MAX	1024

/*
 * The identity of the server a SYN to (@family, @daddr, dport) reaches when
 * it listens on this node: in the one network namespace that owns @daddr
 * (if several do, the answer is not certain and there is none), a meshed
 * listener on the port.  Not looked for on a node with more than
 * KMTLS_NODE_NETNS_MAX namespaces (a FIB lookup each, on every connect).  A copy, or NULL.  Under RCU (the hook's).
 */
static char *kmtls_node_server_id(struct sock *sk, struct sk_buff *skb,
				  const struct tcphdr *th, int family,
				  const void *daddr)
{
	int doff = skb_transport_offset(skb) + __tcp_hdrlen(th);
	u16 hnum = ntohs(sk->sk_dport);
	struct net *net, *owner = NULL;
	unsigned int seen = 0;
	struct sock *lsk;

	for_each_net_rcu(net) {
		bool local;

		/* A node with very many namespaces: not worth the walk. */
		if (++seen > KMTLS_NODE_NETNS_MAX)
			return NULL;

		if (family == AF_INET)
			local = inet_addr_type(net, *(const __be32 *)daddr) ==
				RTN_LOCAL;
		else
			local = ipv6_chk_addr(net, daddr, NULL, 0);
		if (!local)
			continue;
		if (owner)
			return NULL;
		owner = net;
	}
	if (!owner)
		return NULL;
	if (family == AF_INET)
		lsk = __inet_lookup_listener(owner,
					     owner->ipv4.tcp_death_row.hashinfo,
					     skb, doff, sk->sk_rcv_saddr,
					     inet_sk(sk)->inet_sport,
					     *(const __be32 *)daddr, hnum, 0, 0);
	else
		lsk = inet6_lookup_listener(owner,
					    owner->ipv4.tcp_death_row.hashinfo,
					    skb, doff, &sk->sk_v6_rcv_saddr,
					    inet_sk(sk)->inet_sport, daddr, hnum,
					    0, 0);
	if (!lsk || !kmtls_identity_has(lsk))
		return NULL;
	return kmtls_identity_dup(lsk, GFP_ATOMIC);
}

/*
 * The SYN of a meshed client socket: refuse it, or hold the socket and let
 * it go.  Takes @want (the destination's declared identity, or NULL).
 */
static unsigned int kmtls_client_syn(struct sock *sk, struct sk_buff *skb,
				     const struct tcphdr *th, int family,
				     const void *daddr, u8 mode, char *want)
{
	if (mode == KMTLS_DEST_LOOKUP_NOMEM)
		goto refuse;	/* the declared identity could not be kept */
	if (!kmtls_daemon_attached()) {
		atomic64_inc(&kmtls_stats.refused_no_daemon);
		goto refuse;
	}
	/* TCP Fast Open: data in the SYN, or queued behind a SYN that falls
	 * back to plain (it would leave before the handshake), in clear.
	 */
	if (skb->len > skb_transport_offset(skb) + __tcp_hdrlen(th) ||
	    tcp_sk(sk)->fastopen_req || kmtls_defer_connect(sk))
		goto refuse;
	/* A retransmitted SYN (timer context) of a socket already held. */
	if (sk->sk_socket && kmtls_gate_is_held(sk->sk_socket)) {
		kfree(want);
		return NF_ACCEPT;
	}
	if (!in_task())
		goto refuse;
	if (want && kmtls_client_denied(sk, want))
		goto refuse;
	/* A server on this node: its identity is known too.  (Only for the
	 * decision: the server's proof is checked at handshake-done.)
	 */
	if (!want) {
		char *node = kmtls_node_server_id(sk, skb, th, family, daddr);
		bool denied = node && kmtls_client_denied(sk, node);

		kfree(node);
		if (denied)
			goto refuse;
	}
	/* The flow owns @want from here. */
	if (kmtls_flow_client(sk, want))
		return NF_DROP_ERR(-ECONNREFUSED);
	return NF_ACCEPT;
refuse:
	kfree(want);
	return NF_DROP_ERR(-ECONNREFUSED);
}

static unsigned int kmtls_local_out(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct sock *sk = skb->sk;
	const struct tcphdr *th;
	struct tcphdr buf;
	const void *daddr;
	char *want;
	int family;
	u8 mode;

	if (!sk || !sk_fullsock(sk) || sk->sk_protocol != IPPROTO_TCP ||
	    sk->sk_state != TCP_SYN_SENT)
		return NF_ACCEPT;
	th = kmtls_syn(skb, skb_transport_offset(skb), &buf);
	if (!th)
		return NF_ACCEPT;

	/* The socket's destination, not the header's: IP source routing
	 * (an option an unprivileged socket may set) changes the latter.
	 */
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		daddr = &sk->sk_v6_daddr;
		family = AF_INET6;
	} else {
		daddr = &sk->sk_daddr;
		family = AF_INET;
	}
	/* One lookup: the mode and the declared identity agree. */
	mode = kmtls_dest_lookup(family, daddr, ntohs(sk->sk_dport), &want,
				 GFP_ATOMIC);
	if (!mode || mode == KMTLS_DEST_MODE_DISABLED ||
	    !kmtls_identity_has(sk)) {
		kfree(want);
		return NF_ACCEPT;
	}
	return kmtls_client_syn(sk, skb, th, family, daddr, mode, want);
}

static struct sock *kmtls_listener4(struct net *net, struct sk_buff *skb,
				    const struct tcphdr *th, int doff)
{
	const struct iphdr *iph = ip_hdr(skb);

	return __inet_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo, skb,
				      doff, iph->saddr, th->source, iph->daddr,
				      ntohs(th->dest), inet_iif(skb),
				      inet_sdif(skb));
}

static struct sock *kmtls_listener6(struct net *net, struct sk_buff *skb,
				    const struct tcphdr *th, int doff)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	return inet6_lookup_listener(net, net->ipv4.tcp_death_row.hashinfo, skb,
				     doff, &ip6h->saddr, th->source,
				     &ip6h->daddr, ntohs(th->dest),
				     inet6_iif(skb), inet6_sdif(skb));
}

static unsigned int kmtls_local_in(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	const struct tcphdr *th;
	struct tcphdr buf;
	struct sock *lsk;
	int off, family;
	const void *daddr;
	u8 mode;

	if (state->pf == NFPROTO_IPV4) {
		if (ip_hdr(skb)->protocol != IPPROTO_TCP)
			return NF_ACCEPT;
		off = ip_hdrlen(skb);
		daddr = &ip_hdr(skb)->daddr;
		family = AF_INET;
	} else {
		daddr = &ipv6_hdr(skb)->daddr;
		family = AF_INET6;
		off = sizeof(struct ipv6hdr);
		if (ipv6_hdr(skb)->nexthdr != IPPROTO_TCP) {
			unsigned int toff = 0;
			unsigned short fragoff = 0;
			int flags = 0, proto;

			/* IPv6 reaches LOCAL_IN before reassembly and may
			 * carry extension headers: walk them, so that neither
			 * can carry a SYN past us.  A later fragment cannot be
			 * delivered without its first; a first fragment
			 * without the TCP header (RFC 7112 forbids it) is
			 * dropped.
			 */
			proto = ipv6_find_hdr(skb, &toff, -1, &fragoff, &flags);
			if (proto < 0)
				return flags & IP6_FH_F_FRAG ? NF_DROP : NF_ACCEPT;
			if (proto != IPPROTO_TCP || fragoff)
				return NF_ACCEPT;
			off = toff;
		}
	}
	th = kmtls_syn(skb, off, &buf);
	if (!th)
		return NF_ACCEPT;
	mode = kmtls_dest_lookup(family, daddr, ntohs(th->dest), NULL, 0);
	if (!mode || mode == KMTLS_DEST_MODE_DISABLED)
		return NF_ACCEPT;

	/* Softirq, RCU read side: listeners are freed after a grace period. */
	lsk = family == AF_INET ?
	      kmtls_listener4(state->net, skb, th, off + __tcp_hdrlen(th)) :
	      kmtls_listener6(state->net, skb, th, off + __tcp_hdrlen(th));
	if (!lsk || !kmtls_identity_has(lsk))
		return NF_ACCEPT;

	if (!kmtls_daemon_attached() || !kmtls_gate_wrap_listener(lsk)) {
		if (!kmtls_daemon_attached())
			atomic64_inc(&kmtls_stats.refused_no_daemon);
		if (family == AF_INET)
			nf_send_reset(state->net, state->sk, skb, state->hook);
		else
			nf_send_reset6(state->net, state->sk, skb, state->hook);
		return NF_DROP;
	}
	return NF_ACCEPT;
}

static const struct nf_hook_ops kmtls_nf_ops[] = {
	{
		.hook = kmtls_local_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_FIRST,
	},
	{
		.hook = kmtls_local_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_FIRST,
	},
	{
		.hook = kmtls_local_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FIRST,
	},
	{
		.hook = kmtls_local_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FIRST,
	},
};

static int __net_init kmtls_hooks_net_init(struct net *net)
{
	return nf_register_net_hooks(net, kmtls_nf_ops, ARRAY_SIZE(kmtls_nf_ops));
}

static void __net_exit kmtls_hooks_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, kmtls_nf_ops, ARRAY_SIZE(kmtls_nf_ops));
}

static struct pernet_operations kmtls_hooks_net_ops = {
	.init = kmtls_hooks_net_init,
	.exit = kmtls_hooks_net_exit,
};

int kmtls_hooks_init(void)
{
	return register_pernet_subsys(&kmtls_hooks_net_ops);
}

void kmtls_hooks_exit(void)
{
	unregister_pernet_subsys(&kmtls_hooks_net_ops);
}
