// SPDX-License-Identifier: GPL-2.0
/*
 * Installing the negotiated keys into kTLS, shielded from the application.
 *
 * TCP_ULP "tls", TLS_TX and TLS_RX each take the socket lock on their own
 * and each rewrite sk->sk_prot and sk->sk_socket->ops.  A thread that read
 * a pointer before a step and then waited for the lock would carry on along
 * plain TCP after it.  So the three steps run while sk->sk_socket points to
 * a private struct socket (pristine ops, the application's file, inode
 * number and owner), swapped in and back under the socket lock and
 * sk_callback_lock, the order sock_graft() uses.  kTLS writes its ops into
 * the private socket; the application's socket keeps the hold ops the
 * whole time and gets kTLS's ops only once both directions are on.
 *
 * The ULP is attached as the handshake starts, while the connection is
 * certainly established (only that step needs it: a peer's FIN may arrive
 * before the keys); TX and RX follow when the daemon is done.
 *
 * The caller holds a reference on the application's file (close() cannot
 * orphan the socket under kTLS's update_sk_prot()), and before TLS_RX has
 * restored the socket's callbacks (kTLS saves the ones it finds).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/string.h>
#include <linux/tls.h>
#include <linux/version.h>
#include <net/inet_common.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "kmtls.h"

union kmtls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

/* TLS 1.3 record sequence numbers start at 0 after the handshake; rec_seq
 * stays zeroed.  AES-GCM splits the 12-byte IV into a 4-byte salt and an
 * 8-byte explicit part; ChaCha20-Poly1305 takes it whole.
 */
static int kmtls_ktls_fill(union kmtls_crypto_info *ci, u16 cipher,
			   const u8 *key, u8 key_len, const u8 *iv)
{
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	ci->info.cipher_type = cipher;
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		if (key_len != TLS_CIPHER_AES_GCM_128_KEY_SIZE)
			return -EINVAL;
		memcpy(ci->aes128.key, key, key_len);
		memcpy(ci->aes128.salt, iv, TLS_CIPHER_AES_GCM_128_SALT_SIZE);
		memcpy(ci->aes128.iv, iv + TLS_CIPHER_AES_GCM_128_SALT_SIZE,
		       TLS_CIPHER_AES_GCM_128_IV_SIZE);
		return sizeof(ci->aes128);
	case TLS_CIPHER_AES_GCM_256:
		if (key_len != TLS_CIPHER_AES_GCM_256_KEY_SIZE)
			return -EINVAL;
		memcpy(ci->aes256.key, key, key_len);
		memcpy(ci->aes256.salt, iv, TLS_CIPHER_AES_GCM_256_SALT_SIZE);
		memcpy(ci->aes256.iv, iv + TLS_CIPHER_AES_GCM_256_SALT_SIZE,
		       TLS_CIPHER_AES_GCM_256_IV_SIZE);
		return sizeof(ci->aes256);
	case TLS_CIPHER_CHACHA20_POLY1305:
		if (key_len != TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE)
			return -EINVAL;
		memcpy(ci->chacha.key, key, key_len);
		memcpy(ci->chacha.iv, iv, TLS_CIPHER_CHACHA20_POLY1305_IV_SIZE);
		return sizeof(ci->chacha);
	}
	return -EINVAL;
}

/* Point sk->sk_socket at @to instead of @from, carrying the socket flags
 * TCP and kTLS set while @from was in place; @ops, if given, become @to's.
 */
static void kmtls_ktls_swap(struct sock *sk, struct socket *to,
			    struct socket *from, const struct proto_ops *ops)
{
	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_socket = to;
	if (test_bit(SOCK_NOSPACE, &from->flags))
		set_bit(SOCK_NOSPACE, &to->flags);
#ifdef SOCK_SUPPORT_ZC
	if (test_bit(SOCK_SUPPORT_ZC, &from->flags))
		set_bit(SOCK_SUPPORT_ZC, &to->flags);
	else
		clear_bit(SOCK_SUPPORT_ZC, &to->flags);
#endif
	write_unlock_bh(&sk->sk_callback_lock);
	if (ops)
		WRITE_ONCE(to->ops, ops);
	release_sock(sk);
}

/* A private struct socket standing in for @sock while kTLS rewrites ops. */
static struct socket *kmtls_ktls_shield(struct sock *sk, struct socket *sock)
{
	struct socket *priv;

	if (sock_create_lite(sk->sk_family, SOCK_STREAM, IPPROTO_TCP, &priv))
		return NULL;
	priv->ops = kmtls_gate_pristine_ops(sk);
	priv->state = SS_CONNECTED;
	priv->file = sock->file;
	priv->sk = sk;
	SOCK_INODE(priv)->i_ino = SOCK_INODE(sock)->i_ino;
	SOCK_INODE(priv)->i_uid = SOCK_INODE(sock)->i_uid;
	kmtls_ktls_swap(sk, priv, sock, NULL);
	return priv;
}

/* Back to the application's socket; @ops become its ops if given. */
static void kmtls_ktls_unshield(struct sock *sk, struct socket *sock,
				struct socket *priv, const struct proto_ops *ops)
{
	kmtls_ktls_swap(sk, sock, priv, ops);
	/* The private socket owns nothing: release only its inode. */
	priv->ops = NULL;
	priv->sk = NULL;
	priv->file = NULL;
	sock_release(priv);
}

/*
 * Attach the "tls" ULP, without keys: sendmsg and recvmsg stay TCP's (the
 * relay goes on), but a FIN that arrives later no longer matters, since
 * only the ULP step needs an established connection.  Done as the
 * handshake starts, behind the shield, so the application keeps the hold.
 */
int kmtls_ktls_attach(struct sock *sk, struct socket *sock)
{
	struct socket *priv;
	int err = 0;

	priv = kmtls_ktls_shield(sk, sock);
	if (!priv)
		return -ENOMEM;
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		err = -ENOTCONN;
	if (!err)
		err = READ_ONCE(sk->sk_prot)->setsockopt(sk, SOL_TCP, TCP_ULP,
							 KERNEL_SOCKPTR("tls"), 3);
	kmtls_ktls_unshield(sk, sock, priv, NULL);
	return err;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
/*
 * sendfile() and splice() to a kTLS socket can stall for good before 6.5
 * (kTLS's own bug, seen on 6.1.0-56 and 6.1.192 without kmtls too, never on
 * 6.12).  splice passes MSG_SENDPAGE_NOTLAST while more pages follow; kTLS
 * hands each full record to TCP with it, and do_tcp_sendpages() then queues
 * without pushing.  Once the send buffer is full, tls_sw_do_sendpage()
 * sleeps in sk_stream_wait_memory() without pushing either: if nothing is
 * in flight, no ACK ever frees space or pushes the queue (seen: three
 * records, 49218 bytes, unsent, no timer armed, the sender asleep for
 * good).  Without NOTLAST kTLS ends a record at each page and TCP pushes it
 * (corked by MSG_MORE, with its probe timer behind): smaller records, no
 * stall.  inet_sendpage() is the sendpage of every kTLS software ops table;
 * the copy keeps the rest of kTLS's ops.
 *
 * The copy's .owner is kmtls: the hold's module reference stays with the
 * socket and goes in sock_release(), as a server-side connection's does.
 */
static struct proto_ops kmtls_ktls_ops[2];
static const struct proto_ops *kmtls_ktls_orig[2];
static struct module *kmtls_ktls_tls_mod[2];
static DEFINE_MUTEX(kmtls_ktls_ops_lock);

static ssize_t kmtls_ktls_sendpage(struct socket *sock, struct page *page,
				   int offset, size_t size, int flags)
{
	return inet_sendpage(sock, page, offset, size,
			     flags & ~MSG_SENDPAGE_NOTLAST);
}

/* The ops to give the application for kTLS's @ktls, or NULL: take @ktls. */
static const struct proto_ops *kmtls_ktls_ops_for(struct sock *sk,
						  const struct proto_ops *ktls)
{
	int fam = sk->sk_family == AF_INET6;
	const struct proto_ops *ops = NULL;

	if (ktls->sendpage != inet_sendpage || ktls->owner)
		return NULL;
	mutex_lock(&kmtls_ktls_ops_lock);
	if (!kmtls_ktls_orig[fam]) {
		/* The copy points into tls.ko: keep it loaded while we are. */
		kmtls_ktls_tls_mod[fam] = inet_csk(sk)->icsk_ulp_ops->owner;
		__module_get(kmtls_ktls_tls_mod[fam]);
		kmtls_ktls_ops[fam] = *ktls;
		kmtls_ktls_ops[fam].owner = THIS_MODULE;
		kmtls_ktls_ops[fam].sendpage = kmtls_ktls_sendpage;
		kmtls_ktls_orig[fam] = ktls;
	}
	if (kmtls_ktls_orig[fam] == ktls)
		ops = &kmtls_ktls_ops[fam];
	mutex_unlock(&kmtls_ktls_ops_lock);
	return ops;
}

/* Module exit: no socket wears the copies (each pins the module). */
void kmtls_ktls_exit(void)
{
	int fam;

	for (fam = 0; fam < 2; fam++)
		if (kmtls_ktls_orig[fam])
			module_put(kmtls_ktls_tls_mod[fam]);
}
#else
static const struct proto_ops *kmtls_ktls_ops_for(struct sock *sk,
						  const struct proto_ops *ktls)
{
	return NULL;
}

void kmtls_ktls_exit(void)
{
}
#endif

/*
 * Install TX and RX on a socket the ULP is attached to.  On success the
 * application's socket has kTLS's ops (before 6.5, our copy of them, which
 * keeps the hold's module reference) and the hold's module reference is
 * otherwise dropped; on failure the hold stays and the caller aborts the
 * connection.
 */
int kmtls_ktls_install(struct sock *sk, struct socket *sock,
		       const struct kmtls_keys *keys)
{
	const struct proto_ops *ops = NULL, *ours = NULL;
	union kmtls_crypto_info tx, rx;
	struct socket *priv;
	int tx_len, rx_len, err;

	tx_len = kmtls_ktls_fill(&tx, keys->cipher, keys->tx_key, keys->key_len,
				 keys->tx_iv);
	rx_len = kmtls_ktls_fill(&rx, keys->cipher, keys->rx_key, keys->key_len,
				 keys->rx_iv);
	if (tx_len < 0 || rx_len < 0) {
		err = -EINVAL;
		goto out_wipe;
	}

	priv = kmtls_ktls_shield(sk, sock);
	if (!priv) {
		err = -ENOMEM;
		goto out_wipe;
	}
	err = READ_ONCE(sk->sk_prot)->setsockopt(sk, SOL_TLS, TLS_TX,
						 KERNEL_SOCKPTR(&tx), tx_len);
	if (!err)
		err = READ_ONCE(sk->sk_prot)->setsockopt(sk, SOL_TLS, TLS_RX,
							 KERNEL_SOCKPTR(&rx),
							 rx_len);
	if (!err) {
		ours = kmtls_ktls_ops_for(sk, priv->ops);
		ops = ours ?: priv->ops;
	}
	kmtls_ktls_unshield(sk, sock, priv, ops);
	if (!err && !ours)
		module_put(THIS_MODULE);	/* the hold's reference */
out_wipe:
	memzero_explicit(&tx, sizeof(tx));
	memzero_explicit(&rx, sizeof(rx));
	return err;
}
