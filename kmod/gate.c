// SPDX-License-Identifier: GPL-2.0
/*
 * The gate: holding an application's I/O on a meshed socket while its
 * handshake runs, so that nothing it writes leaves in clear and nothing it
 * reads comes from outside the authenticated channel.
 *
 * - Hold ops: a copy of inet(6)_stream_ops put on the application's
 *   struct socket.  Every call that moves data waits (blocking) or fails
 *   with EAGAIN (non-blocking) until the flow is established; it then
 *   dispatches again through READ_ONCE(sock->ops), which are kTLS's by
 *   then.  poll reports nothing until then.  A failed flow's calls fail
 *   with the flow's errno.  Each held socket pins the module (.owner); the
 *   reference goes with the hold ops, at install or in sock_release().
 * - Wrapper proto: a copy of tcp_prot/tcpv6_prot that differs only in
 *   .release_cb and .owner, swapped onto a meshed listener.  Children
 *   inherit it; inet_accept() grafts a child and calls release_sock(),
 *   whose release_cb puts the hold on the new socket before accept()
 *   installs the descriptor, and gives the child the pristine proto back.
 *   Children and their TIME_WAIT remnants pin the module (sk_prot_creator).
 * - kTLS's global tables are built from pristine ops at load, before any
 *   hold exists (a TCP_ULP "tls" attempt on an unconnected socket builds
 *   them and fails with ENOTCONN, as intended).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/version.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kmtls.h"

static const struct proto_ops *kmtls_pristine_ops[2];
static struct proto *kmtls_pristine_prot[2];
static struct proto_ops kmtls_hold_ops[2];
static struct proto kmtls_wrap_prot[2];

/* Listeners wearing the wrapper proto; each entry holds a reference. */
struct kmtls_listener {
	struct list_head node;
	struct sock *sk;
};

static LIST_HEAD(kmtls_listeners);
static DEFINE_SPINLOCK(kmtls_listeners_lock);

static int kmtls_fam(const struct sock *sk)
{
	return sk->sk_family == AF_INET6;
}

const struct proto_ops *kmtls_gate_pristine_ops(const struct sock *sk)
{
	return kmtls_pristine_ops[kmtls_fam(sk)];
}

bool kmtls_gate_is_held(const struct socket *sock)
{
	const struct proto_ops *ops = READ_ONCE(sock->ops);

	return ops == &kmtls_hold_ops[0] || ops == &kmtls_hold_ops[1];
}

/* Put the hold on @sock.  The caller owns the socket lock or otherwise
 * keeps the application away (connect() in progress, accept() grafting).
 */
void kmtls_gate_hold(struct socket *sock)
{
	__module_get(THIS_MODULE);
	WRITE_ONCE(sock->ops, &kmtls_hold_ops[kmtls_fam(sock->sk)]);
}

/* End the hold without kTLS (a plaintext flow a permissive destination
 * admitted): the application's calls go to TCP again.  Process context.
 */
void kmtls_gate_unhold(struct socket *sock)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	WRITE_ONCE(sock->ops, kmtls_pristine_ops[kmtls_fam(sk)]);
	release_sock(sk);
	module_put(THIS_MODULE);	/* the hold's reference */
}

/*
 * Wait until the hold on @sock ends.  0: dispatch again through
 * sock->ops; else a negative errno for the caller.
 */
static int kmtls_gate_wait(struct socket *sock, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = sock->sk;
	int ret, err;

	add_wait_queue(sk_sleep(sk), &wait);
	for (;;) {
		if (!kmtls_gate_is_held(sock)) {
			ret = 0;
			break;
		}
		if (kmtls_flow_gate_state(sk, &err) == KMTLS_PHASE_FAILED) {
			ret = -err;
			break;
		}
		if (!timeo) {
			ret = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			ret = sock_intr_errno(timeo);
			break;
		}
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return ret;
}

static int kmtls_hold_sendmsg(struct socket *sock, struct msghdr *msg,
			      size_t size)
{
	int ret = kmtls_gate_wait(sock, sock_sndtimeo(sock->sk,
				  msg->msg_flags & MSG_DONTWAIT));

	return ret ? ret : READ_ONCE(sock->ops)->sendmsg(sock, msg, size);
}

static int kmtls_hold_recvmsg(struct socket *sock, struct msghdr *msg,
			      size_t size, int flags)
{
	int ret = kmtls_gate_wait(sock, sock_rcvtimeo(sock->sk,
				  flags & MSG_DONTWAIT));

	return ret ? ret : READ_ONCE(sock->ops)->recvmsg(sock, msg, size, flags);
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
static ssize_t kmtls_hold_sendpage(struct socket *sock, struct page *page,
				   int offset, size_t size, int flags)
{
	int ret = kmtls_gate_wait(sock, sock_sndtimeo(sock->sk,
				  flags & MSG_DONTWAIT));

	return ret ? ret : READ_ONCE(sock->ops)->sendpage(sock, page, offset,
							 size, flags);
}
#endif

static ssize_t kmtls_hold_splice_read(struct socket *sock, loff_t *ppos,
				      struct pipe_inode_info *pipe, size_t len,
				      unsigned int flags)
{
	bool nonblock = (flags & SPLICE_F_NONBLOCK) ||
			(sock->file && (sock->file->f_flags & O_NONBLOCK));
	int ret = kmtls_gate_wait(sock, sock_rcvtimeo(sock->sk, nonblock));

	return ret ? ret : READ_ONCE(sock->ops)->splice_read(sock, ppos, pipe,
							    len, flags);
}

static __poll_t kmtls_hold_poll(struct file *file, struct socket *sock,
				struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	int err;

	sock_poll_wait(file, sock, wait);
	if (!kmtls_gate_is_held(sock))
		return READ_ONCE(sock->ops)->poll(file, sock, NULL);
	if (kmtls_flow_gate_state(sk, &err) == KMTLS_PHASE_FAILED)
		return kmtls_gate_pristine_ops(sk)->poll(file, sock, NULL) |
		       EPOLLERR | EPOLLHUP;
	return 0;
}

static int kmtls_hold_setsockopt(struct socket *sock, int level, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	/* An application's own ULP would replace the hold; once kmtls has
	 * attached the tls ULP, SOL_TLS would install the application's keys
	 * and kTLS's ops in place of the hold.
	 */
	if ((level == SOL_TCP && optname == TCP_ULP) ||
	    (level == SOL_IPV6 && optname == IPV6_ADDRFORM) ||
	    level == SOL_TLS)
		return -EBUSY;
	return kmtls_gate_pristine_ops(sock->sk)->setsockopt(sock, level,
							      optname, optval,
							      optlen);
}

static int kmtls_hold_getsockopt(struct socket *sock, int level, int optname,
				 char __user *optval, int __user *optlen)
{
	/* Reads the TCP queue directly; SOL_TLS is kmtls's business here. */
	if ((level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE) ||
	    level == SOL_TLS)
		return -EBUSY;
	return kmtls_gate_pristine_ops(sock->sk)->getsockopt(sock, level,
							      optname, optval,
							      optlen);
}

static int kmtls_hold_shutdown(struct socket *sock, int how)
{
	int ret = kmtls_gate_wait(sock, MAX_SCHEDULE_TIMEOUT);

	if (ret == -ERESTARTSYS || ret == -EINTR)
		return ret;
	/* Established: kTLS's shutdown; failed: TCP's, on a dead socket. */
	if (kmtls_gate_is_held(sock))
		return kmtls_gate_pristine_ops(sock->sk)->shutdown(sock, how);
	return READ_ONCE(sock->ops)->shutdown(sock, how);
}

/*
 * connect() on a held socket: it is connecting or connected already.  A
 * reconnect (AF_UNSPEC, then another address) would leave the flow judged
 * for the old destination: refused.
 */
static int kmtls_hold_connect(struct socket *sock, struct sockaddr *uaddr,
			      int addr_len, int flags)
{
	int err;

	if (!kmtls_gate_is_held(sock))
		return READ_ONCE(sock->ops)->connect(sock, uaddr, addr_len, flags);
	if (kmtls_flow_gate_state(sock->sk, &err) == KMTLS_PHASE_FAILED)
		return -err;
	return -EALREADY;
}

static int kmtls_hold_mmap(struct file *file, struct socket *sock,
			   struct vm_area_struct *vma)
{
	return -EBUSY;
}

static int kmtls_hold_release(struct socket *sock)
{
	return kmtls_gate_pristine_ops(sock->sk)->release(sock);
}

/* Server side: called in every release_sock() of a socket wearing the
 * wrapper proto, with the socket owned and its spinlock held.
 */
static void kmtls_wrap_release_cb(struct sock *sk)
{
	int fam = kmtls_fam(sk);
	struct socket *sock = sk->sk_socket;

	kmtls_pristine_prot[fam]->release_cb(sk);
	if (sk->sk_state == TCP_LISTEN || !sock)
		return;
	/* Only a child grafted by accept() (which marks its socket connected
	 * before this release): not a listener that was shut down.
	 */
	if (sock->state != SS_CONNECTED)
		return;
	/* Decide once, then look like TCP. */
	WRITE_ONCE(sk->sk_prot, kmtls_pristine_prot[fam]);
	if (!sock->file || READ_ONCE(sock->ops) != kmtls_pristine_ops[fam])
		return;
	kmtls_flow_server(sk);
}

/*
 * Put the wrapper proto on a meshed listener (softirq, under RCU, from the
 * LOCAL_IN hook).  Returns false when the listener cannot be wrapped (not
 * plain TCP, or no memory): its children could not be held, so the caller
 * refuses the connection.
 */
bool kmtls_gate_wrap_listener(struct sock *lsk)
{
	int fam = kmtls_fam(lsk);
	struct kmtls_listener *l;
	struct proto *cur = READ_ONCE(lsk->sk_prot);

	if (cur == &kmtls_wrap_prot[fam])
		return true;
	if (cur != kmtls_pristine_prot[fam])
		return false;

	l = kmalloc(sizeof(*l), GFP_ATOMIC);
	if (!l)
		return false;
	if (!refcount_inc_not_zero(&lsk->sk_refcnt)) {
		kfree(l);
		return false;
	}
	l->sk = lsk;
	spin_lock_bh(&kmtls_listeners_lock);
	cur = cmpxchg(&lsk->sk_prot, kmtls_pristine_prot[fam],
		      &kmtls_wrap_prot[fam]);
	if (cur == kmtls_pristine_prot[fam])
		list_add(&l->node, &kmtls_listeners);
	spin_unlock_bh(&kmtls_listeners_lock);
	if (cur != kmtls_pristine_prot[fam]) {
		sock_put(lsk);
		kfree(l);
		return cur == &kmtls_wrap_prot[fam];
	}
	return true;
}

static void kmtls_unwrap(struct kmtls_listener *l)
{
	int fam = kmtls_fam(l->sk);

	cmpxchg(&l->sk->sk_prot, &kmtls_wrap_prot[fam],
		kmtls_pristine_prot[fam]);
	list_del(&l->node);
}

/* Forget listeners that stopped listening (closed, or shut down). */
void kmtls_gate_gc_listeners(void)
{
	struct kmtls_listener *l, *tmp;
	LIST_HEAD(dead);

	spin_lock_bh(&kmtls_listeners_lock);
	list_for_each_entry_safe(l, tmp, &kmtls_listeners, node) {
		if (READ_ONCE(l->sk->sk_state) == TCP_LISTEN)
			continue;
		kmtls_unwrap(l);
		list_add(&l->node, &dead);
	}
	spin_unlock_bh(&kmtls_listeners_lock);
	list_for_each_entry_safe(l, tmp, &dead, node) {
		sock_put(l->sk);
		kfree(l);
	}
}

static int kmtls_gate_capture(int family)
{
	int fam = family == AF_INET6;
	struct proto_ops *h = &kmtls_hold_ops[fam];
	struct proto *w = &kmtls_wrap_prot[fam];
	struct socket *s;
	int err;

	err = sock_create_kern(&init_net, family, SOCK_STREAM, IPPROTO_TCP, &s);
	if (err)
		return err;
	kmtls_pristine_ops[fam] = s->ops;
	kmtls_pristine_prot[fam] = s->sk->sk_prot;
	/* Builds kTLS's tables for this family from pristine ops. */
	err = s->sk->sk_prot->setsockopt(s->sk, SOL_TCP, TCP_ULP,
					 KERNEL_SOCKPTR("tls"), 3);
	sock_release(s);
	if (err != -ENOTCONN) {
		pr_err("kTLS is not available (TCP_ULP \"tls\": %d)\n", err);
		return err ? err : -EINVAL;
	}

	*h = *kmtls_pristine_ops[fam];
	h->owner = THIS_MODULE;
	h->release = kmtls_hold_release;
	h->sendmsg = kmtls_hold_sendmsg;
	h->recvmsg = kmtls_hold_recvmsg;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	h->sendpage = kmtls_hold_sendpage;
#endif
	h->splice_read = kmtls_hold_splice_read;
	h->poll = kmtls_hold_poll;
	h->setsockopt = kmtls_hold_setsockopt;
	h->getsockopt = kmtls_hold_getsockopt;
	h->shutdown = kmtls_hold_shutdown;
	h->connect = kmtls_hold_connect;
	h->mmap = kmtls_hold_mmap;

	*w = *kmtls_pristine_prot[fam];
	w->owner = THIS_MODULE;
	w->release_cb = kmtls_wrap_release_cb;
	return 0;
}

int kmtls_gate_init(void)
{
	int err = kmtls_gate_capture(AF_INET);

	return err ? err : kmtls_gate_capture(AF_INET6);
}

void kmtls_gate_exit(void)
{
	struct kmtls_listener *l, *tmp;
	LIST_HEAD(dead);

	spin_lock_bh(&kmtls_listeners_lock);
	list_for_each_entry_safe(l, tmp, &kmtls_listeners, node) {
		kmtls_unwrap(l);
		list_add(&l->node, &dead);
	}
	spin_unlock_bh(&kmtls_listeners_lock);
	list_for_each_entry_safe(l, tmp, &dead, node) {
		sock_put(l->sk);
		kfree(l);
	}
	/* A softirq may still be reading a listener's old sk_prot. */
	synchronize_rcu();
}
