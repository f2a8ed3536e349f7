// SPDX-License-Identifier: GPL-2.0
/*
 * tlswire - prove that the TCP bytes in a capture are TLS records.
 *
 *   tlswire [-p PORT] [-m MARKER]... [-q] FILE.pcap
 *   tlswire --selftest
 *
 * Reads a classic pcap file (microsecond or nanosecond magic, either byte
 * order; link types EN10MB (1), RAW (101), LINUX_SLL (113) and LINUX_SLL2
 * (276): "tcpdump -i veth" writes the first, "tcpdump -i any" the last
 * two), finds the TCP segments of IPv4 (options allowed) and IPv6 (hop-by-
 * hop, routing and destination options headers skipped) and reassembles
 * each direction of each connection by sequence number, from the SYN's
 * ISN + 1.  Retransmitted or overlapping bytes are dropped (the first copy
 * captured wins), out-of-order segments are buffered.  Every direction
 * ("stream") of a connection with PORT as source or destination port (all
 * TCP without -p) must then be a run of complete TLS records: a 5-byte
 * header with content type 20..23, version 3.1..3.4 and length 1..16640
 * (2^14 + 256), followed by exactly that many bytes.
 *
 * What it proves: that every payload byte captured for those streams is
 * framed as TLS records, and that no MARKER (e.g. the plaintext a test
 * application sent) appears in any TCP payload of the capture, checked in
 * each segment and in each reassembled stream of every TCP connection, -p
 * or not, so a marker split over two segments is found too.
 *
 * What it does not prove: that the records are encrypted or authentic (a
 * record of type 23 may well carry plaintext: use -m for that), nor
 * anything about bytes the capture missed.  It assumes a lossless capture
 * of the whole connection, e.g. tcpdump -U on a veth in a test VM: a
 * missing byte (a gap in sequence space, including a FIN beyond the data)
 * fails the stream, as does a last record cut short unless the connection
 * ended with a RST (then it is a note); a capture that starts mid-
 * connection is read from the first segment seen, with a note, and will
 * usually fail mid-record.  IP fragments of TCP, segments cut by the
 * snap length and undecodable IP/TCP headers are counted as "unparsed" and
 * fail the run.  Checksums are not verified.  A marker may legitimately
 * occur inside a TLS handshake (e.g. a server name): pick markers that the
 * handshake cannot contain.
 *
 * Output: a line per stream of the connections -p selects,
 *   stream A:P -> B:Q bytes N records R types {22:x,23:y} VERDICT [notes]
 * where VERDICT is OK, "NOT-TLS at OFF: HEX" (the first 16 bytes from the
 * offending record header), "GAP at OFF (N bytes missing)", "TRUNCATED at
 * OFF (...)" or "OVERFLOW" (too much out-of-order data buffered), then
 *   tlswire: connections C streams S bytes N records R not-tls X \
 *            markers-found M unparsed U
 * where X counts the streams whose verdict is not OK and M the distinct
 * markers found.  -q prints the summary only.  Exit 0 when every stream
 * is OK, no marker was found, nothing was unparsed and at least one record
 * was seen; 1 otherwise; 2 for usage errors and unreadable, malformed or
 * truncated files (pcapng is not read: use tcpdump -w, not dumpcap).
 *
 * Memory is bounded: captured packets are read one at a time (at most
 * 1 MiB each), streams are checked as they grow and only out-of-order data
 * is kept (at most 64 MiB and 16384 segments per stream, 256 MiB in
 * all), and at most 65536 connections are tracked (about 1 KiB each);
 * beyond that a stream fails with OVERFLOW or the run with exit 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MARKERS	16
#define MAX_MARKER_LEN	256
#define MAX_CAPLEN	(1u << 20)
#define MAX_REC_LEN	16640
#define OOO_STREAM_MAX	(64ull << 20)
#define OOO_TOTAL_MAX	(256ull << 20)
#define OOO_SEGS_MAX	16384
#define MAX_CONNS	(1u << 16)
#define HASH_SIZE	65536

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04

enum { LT_EN10MB = 1, LT_RAW = 101, LT_SLL = 113, LT_SLL2 = 276 };

struct seg {
	uint64_t off;
	uint32_t n;
	uint8_t *data;
};

/* Incremental TLS record framing check. */
struct tls {
	uint8_t hdr[5];
	unsigned int hn;	/* header bytes seen; 5 while in the body */
	uint32_t body_left;
	uint64_t rec_off;	/* stream offset of the current record */
	uint64_t records;
	uint64_t types[4];	/* 20..23 */
	int err;
	uint64_t err_off;
	uint8_t err_bytes[16];
	unsigned int err_n;
};

struct conn;

struct stream {
	struct conn *conn;
	int syn, have_base;
	uint32_t isn;
	uint32_t next_seq;	/* sequence number of offset len */
	uint64_t len;		/* next offset to deliver */
	uint64_t bytes;		/* bytes delivered */
	int have_fin;
	uint64_t fin_off;
	struct seg *ooo;	/* in arrival order */
	size_t nooo, cap_ooo;
	uint64_t ooo_bytes;
	int overflow;
	int gap;
	uint64_t gap_off, gap_len;
	struct tls tls;
	uint8_t mtail[MAX_MARKER_LEN];
	size_t mtail_n;
	int64_t mk_off[MAX_MARKERS];	/* first stream offset, or -1 */
	uint8_t mk_seg[MAX_MARKERS];	/* seen in a segment */
};

struct conn {
	struct conn *hnext;
	int af;
	uint8_t addr[2][16];	/* [0] sent the first segment seen */
	uint16_t port[2];
	int judged;		/* selected by -p */
	int rst;
	struct stream s[2];	/* s[d]: addr[d] -> addr[!d] */
};

struct ctx {
	/* options */
	int port;
	int quiet;
	int nm;
	const char *marker[MAX_MARKERS];
	size_t mlen[MAX_MARKERS];
	size_t mlen_max;
	FILE *out, *err;
	/* state */
	int linktype;
	struct conn **hash;
	struct conn **conns;	/* in creation order */
	size_t nconns, cap_conns;
	uint64_t ooo_total;
	uint64_t unparsed, packets;
	int found[MAX_MARKERS];
	const char *fatal;
	/* results */
	uint64_t r_conns, r_streams, r_bytes, r_records, r_bad, r_found;
};

static uint16_t be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

/* ---- TLS framing ---- */

static void tls_err_collect(struct tls *t, const uint8_t *p, size_t n)
{
	while (t->err_n < sizeof(t->err_bytes) && n--)
		t->err_bytes[t->err_n++] = *p++;
}

static void tls_feed(struct tls *t, const uint8_t *p, size_t n, uint64_t off)
{
	size_t i = 0;

	if (t->err) {
		tls_err_collect(t, p, n);
		return;
	}
	while (i < n) {
		unsigned int len;
		uint8_t c;
		int bad;

		if (t->hn == 5) {
			size_t take = n - i;

			if (take > t->body_left)
				take = t->body_left;
			i += take;
			t->body_left -= take;
			if (!t->body_left) {
				t->records++;
				t->types[t->hdr[0] - 20]++;
				t->hn = 0;
			}
			continue;
		}
		c = p[i];
		if (!t->hn)
			t->rec_off = off + i;
		t->hdr[t->hn++] = c;
		i++;
		len = be16(t->hdr + 3);
		switch (t->hn) {
		case 1:
			bad = c < 20 || c > 23;
			break;
		case 2:
			bad = c != 3;
			break;
		case 3:
			bad = c < 1 || c > 4;
			break;
		case 5:
			bad = len < 1 || len > MAX_REC_LEN;
			break;
		default:
			bad = 0;
		}
		if (bad) {
			t->err = 1;
			t->err_off = t->rec_off;
			memcpy(t->err_bytes, t->hdr, t->hn);
			t->err_n = t->hn;
			tls_err_collect(t, p + i, n - i);
			return;
		}
		if (t->hn == 5)
			t->body_left = len;
	}
}

/* ---- markers ---- */

static void mark_found(struct ctx *c, struct stream *s, int m, uint64_t off)
{
	c->found[m] = 1;
	if (s->mk_off[m] < 0 || (uint64_t)s->mk_off[m] > off)
		s->mk_off[m] = off;
}

static void marker_stream(struct ctx *c, struct stream *s,
			  const uint8_t *p, size_t n)
{
	uint8_t win[2 * MAX_MARKER_LEN];
	size_t keep = c->mlen_max - 1, w, t;
	const uint8_t *hit;
	int m;

	if (!c->nm || !n)
		return;
	/* occurrences that start in the tail of what came before */
	if (s->mtail_n) {
		w = n < keep ? n : keep;
		memcpy(win, s->mtail, s->mtail_n);
		memcpy(win + s->mtail_n, p, w);
		for (m = 0; m < c->nm; m++) {
			hit = memmem(win, s->mtail_n + w, c->marker[m], c->mlen[m]);
			if (hit && (size_t)(hit - win) < s->mtail_n)
				mark_found(c, s, m,
					   s->len - s->mtail_n + (hit - win));
		}
	}
	for (m = 0; m < c->nm; m++) {
		hit = memmem(p, n, c->marker[m], c->mlen[m]);
		if (hit)
			mark_found(c, s, m, s->len + (hit - p));
	}
	if (!keep)
		return;
	if (n >= keep) {
		memcpy(s->mtail, p + n - keep, keep);
		s->mtail_n = keep;
		return;
	}
	t = s->mtail_n + n > keep ? keep - n : s->mtail_n;
	memmove(s->mtail, s->mtail + s->mtail_n - t, t);
	memcpy(s->mtail + t, p, n);
	s->mtail_n = t + n;
}

static void marker_segment(struct ctx *c, struct stream *s,
			   const uint8_t *p, size_t n)
{
	int m;

	for (m = 0; m < c->nm; m++) {
		if (memmem(p, n, c->marker[m], c->mlen[m])) {
			c->found[m] = 1;
			s->mk_seg[m] = 1;
		}
	}
}

/* ---- reassembly ---- */

static void deliver(struct ctx *c, struct stream *s, const uint8_t *p, size_t n)
{
	if (s->conn->judged && !s->gap)
		tls_feed(&s->tls, p, n, s->len);
	marker_stream(c, s, p, n);
	s->len += n;
	s->bytes += n;
	s->next_seq += (uint32_t)n;
}

static void seg_drop(struct ctx *c, struct stream *s, size_t i)
{
	c->ooo_total -= s->ooo[i].n;
	s->ooo_bytes -= s->ooo[i].n;
	free(s->ooo[i].data);
	memmove(s->ooo + i, s->ooo + i + 1, (s->nooo - i - 1) * sizeof(*s->ooo));
	s->nooo--;
}

/*
 * Deliver what the buffered segments make contiguous.  Where they overlap
 * the bytes of the one captured first win: deliver from the earliest
 * arrival that covers the next offset, up to where an even earlier arrival
 * begins.
 */
static void drain(struct ctx *c, struct stream *s)
{
	for (;;) {
		uint64_t end = 0;
		size_t i, j;
		struct seg *g;

		for (i = 0; i < s->nooo; i++) {
			g = &s->ooo[i];
			if (g->off + g->n <= s->len) {
				seg_drop(c, s, i--);
				continue;
			}
			if (g->off <= s->len)
				break;
		}
		if (i == s->nooo)
			return;
		g = &s->ooo[i];
		end = g->off + g->n;
		for (j = 0; j < i; j++)
			if (s->ooo[j].off > s->len && s->ooo[j].off < end)
				end = s->ooo[j].off;
		deliver(c, s, g->data + (s->len - g->off), end - s->len);
	}
}

static void stream_data(struct ctx *c, struct stream *s, uint32_t seq,
			const uint8_t *p, uint32_t n)
{
	int32_t rel = (int32_t)(seq - s->next_seq);
	struct seg *g;

	if (rel < 0) {
		uint64_t skip = -(int64_t)rel;

		if (skip >= n)
			return;
		p += skip;
		n -= skip;
		rel = 0;
	}
	if (!rel && !s->nooo) {
		deliver(c, s, p, n);
		return;
	}
	if (s->ooo_bytes + n > OOO_STREAM_MAX ||
	    c->ooo_total + n > OOO_TOTAL_MAX || s->nooo >= OOO_SEGS_MAX) {
		s->overflow = 1;
		return;
	}
	if (s->nooo == s->cap_ooo) {
		size_t cap = s->cap_ooo ? 2 * s->cap_ooo : 16;
		struct seg *v = realloc(s->ooo, cap * sizeof(*v));

		if (!v) {
			s->overflow = 1;
			return;
		}
		s->ooo = v;
		s->cap_ooo = cap;
	}
	g = &s->ooo[s->nooo];
	g->data = malloc(n);
	if (!g->data) {
		s->overflow = 1;
		return;
	}
	memcpy(g->data, p, n);
	g->off = s->len + rel;
	g->n = n;
	s->nooo++;
	s->ooo_bytes += n;
	c->ooo_total += n;
	drain(c, s);
}

/* End of capture: what is still buffered lies beyond a gap. */
static void stream_finish(struct ctx *c, struct stream *s)
{
	for (;;) {
		uint64_t min = UINT64_MAX;
		size_t i;

		drain(c, s);
		if (!s->nooo)
			break;
		for (i = 0; i < s->nooo; i++)
			if (s->ooo[i].off < min)
				min = s->ooo[i].off;
		if (!s->gap) {
			s->gap = 1;
			s->gap_off = s->len;
			s->gap_len = min - s->len;
		}
		/* keep looking for markers past the gap */
		s->next_seq += (uint32_t)(min - s->len);
		s->len = min;
		s->mtail_n = 0;
	}
	if (!s->gap && s->have_fin && s->fin_off > s->len) {
		s->gap = 1;
		s->gap_off = s->len;
		s->gap_len = s->fin_off - s->len;
	}
}

/* ---- connections ---- */

static unsigned int hash_ep(int af, const uint8_t *a, uint16_t port)
{
	unsigned int h = port * 2654435761u;
	int i, n = af == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

static unsigned int hash_conn(int af, const uint8_t *a, uint16_t pa,
			      const uint8_t *b, uint16_t pb)
{
	return (hash_ep(af, a, pa) ^ hash_ep(af, b, pb)) % HASH_SIZE;
}

static struct conn *conn_find(struct ctx *c, int af, const uint8_t *src,
			      uint16_t sp, const uint8_t *dst, uint16_t dp,
			      int *dir)
{
	struct conn *k = c->hash[hash_conn(af, src, sp, dst, dp)];

	for (; k; k = k->hnext) {
		if (k->af != af)
			continue;
		if (!memcmp(k->addr[0], src, 16) && k->port[0] == sp &&
		    !memcmp(k->addr[1], dst, 16) && k->port[1] == dp) {
			*dir = 0;
			return k;
		}
		if (!memcmp(k->addr[1], src, 16) && k->port[1] == sp &&
		    !memcmp(k->addr[0], dst, 16) && k->port[0] == dp) {
			*dir = 1;
			return k;
		}
	}
	return NULL;
}

static struct conn *conn_new(struct ctx *c, int af, const uint8_t *src,
			     uint16_t sp, const uint8_t *dst, uint16_t dp)
{
	unsigned int h = hash_conn(af, src, sp, dst, dp);
	struct conn *k;
	int d, m;

	if (c->nconns >= MAX_CONNS) {
		c->fatal = "too many connections";
		return NULL;
	}
	if (c->nconns == c->cap_conns) {
		size_t cap = c->cap_conns ? 2 * c->cap_conns : 64;
		struct conn **v = realloc(c->conns, cap * sizeof(*v));

		if (!v) {
			c->fatal = "out of memory";
			return NULL;
		}
		c->conns = v;
		c->cap_conns = cap;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		c->fatal = "out of memory";
		return NULL;
	}
	k->af = af;
	memcpy(k->addr[0], src, 16);
	memcpy(k->addr[1], dst, 16);
	k->port[0] = sp;
	k->port[1] = dp;
	k->judged = !c->port || sp == c->port || dp == c->port;
	for (d = 0; d < 2; d++) {
		k->s[d].conn = k;
		for (m = 0; m < MAX_MARKERS; m++)
			k->s[d].mk_off[m] = -1;
	}
	k->hnext = c->hash[h];
	c->hash[h] = k;
	c->conns[c->nconns++] = k;
	return k;
}

static void tcp(struct ctx *c, int af, const uint8_t *src, const uint8_t *dst,
		const uint8_t *p, size_t n)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	unsigned int hl, flags;
	uint16_t sp, dp;
	uint32_t seq;
	struct conn *k;
	struct stream *s;
	const uint8_t *pl;
	size_t pn;
	int dir = 0;

	if (n < 20) {
		c->unparsed++;
		return;
	}
	hl = (p[12] >> 4) * 4;
	if (hl < 20 || hl > n) {
		c->unparsed++;
		return;
	}
	memcpy(a, src, af == 4 ? 4 : 16);
	memcpy(b, dst, af == 4 ? 4 : 16);
	sp = be16(p);
	dp = be16(p + 2);
	seq = be32(p + 4);
	flags = p[13];
	pl = p + hl;
	pn = n - hl;

	k = conn_find(c, af, a, sp, b, dp, &dir);
	if (flags & TH_SYN) {
		if (k) {
			s = &k->s[dir];
			/* a new connection on the same ports? */
			if (!(s->syn && s->isn == seq) &&
			    (s->syn || s->have_base))
				k = NULL;
		}
		if (!k) {
			k = conn_new(c, af, a, sp, b, dp);
			dir = 0;
		}
		if (!k)
			return;
		s = &k->s[dir];
		if (!s->syn) {
			s->syn = 1;
			s->isn = seq;
			s->have_base = 1;
			s->next_seq = seq + 1;
		}
		seq++;
	} else if (!k) {
		k = conn_new(c, af, a, sp, b, dp);
		if (!k)
			return;
	}
	s = &k->s[dir];
	if (flags & TH_RST)
		k->rst = 1;
	if (pn) {
		marker_segment(c, s, pl, pn);
		if (!s->have_base) {
			s->have_base = 1;
			s->next_seq = seq;
		}
		stream_data(c, s, seq, pl, pn);
	}
	if ((flags & TH_FIN) && s->have_base) {
		int32_t r = (int32_t)(seq + (uint32_t)pn - s->next_seq);
		uint64_t off = r >= 0 ? s->len + r : 0;

		if (!s->have_fin || off > s->fin_off)
			s->fin_off = off;
		s->have_fin = 1;
	}
}

/* IPv4: options skipped; fragments of TCP are unparsed. */
static void ip4(struct ctx *c, const uint8_t *p, size_t n, int trunc)
{
	unsigned int hl, tot;

	if (n < 20 || (p[0] >> 4) != 4) {
		c->unparsed++;
		return;
	}
	if (p[9] != 6)
		return;
	hl = (p[0] & 15) * 4;
	tot = be16(p + 2);
	if (!tot && !trunc)
		tot = n;	/* TSO/BIG TCP super-packet */
	if (hl < 20 || tot < hl || tot > n || (be16(p + 6) & 0x3fff)) {
		c->unparsed++;
		return;
	}
	tcp(c, 4, p + 12, p + 16, p + hl, tot - hl);
}

/* IPv6: extension headers 0, 43, 60 skipped; fragments of TCP unparsed. */
static void ip6(struct ctx *c, const uint8_t *p, size_t n, int trunc)
{
	size_t end, off = 40;
	unsigned int nh, i;

	if (n < 40 || (p[0] >> 4) != 6) {
		c->unparsed++;
		return;
	}
	end = 40 + be16(p + 4);
	if (end == 40 && !trunc)
		end = n;	/* jumbogram / BIG TCP */
	nh = p[6];
	for (i = 0; i < 16; i++) {
		switch (nh) {
		case 0:
		case 43:
		case 60:
			if (off + 2 > end || off + 2 > n) {
				c->unparsed++;
				return;
			}
			nh = p[off];
			off += (p[off + 1] + 1) * 8;
			continue;
		case 44:
			if (off + 8 > end || off + 8 > n || p[off] == 6)
				c->unparsed++;
			return;
		case 6:
			if (end > n || off > end) {
				c->unparsed++;
				return;
			}
			tcp(c, 6, p + 8, p + 24, p + off, end - off);
			return;
		default:
			return;
		}
	}
	c->unparsed++;
}

static void packet(struct ctx *c, const uint8_t *p, size_t n, size_t orig)
{
	int trunc = n < orig;
	unsigned int et, off, vlans = 0;

	c->packets++;
	switch (c->linktype) {
	case LT_EN10MB:
		if (n < 14)
			goto bad;
		et = be16(p + 12);
		off = 14;
		while ((et == 0x8100 || et == 0x88a8) && vlans++ < 2) {
			if (n < off + 4)
				goto bad;
			et = be16(p + off + 2);
			off += 4;
		}
		break;
	case LT_SLL:
		if (n < 16)
			goto bad;
		et = be16(p + 14);
		off = 16;
		break;
	case LT_SLL2:
		if (n < 20)
			goto bad;
		et = be16(p);
		off = 20;
		break;
	default:	/* LT_RAW */
		if (!n)
			goto bad;
		et = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
		off = 0;
		break;
	}
	if (et == 0x0800)
		ip4(c, p + off, n - off, trunc);
	else if (et == 0x86dd)
		ip6(c, p + off, n - off, trunc);
	return;
bad:
	c->unparsed++;
}

/* ---- report ---- */

static void put_ep(FILE *f, int af, const uint8_t *a, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(af == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	fprintf(f, af == 4 ? "%s:%u" : "[%s]:%u", buf, port);
}

static void put_flow(FILE *f, struct conn *k, int d)
{
	put_ep(f, k->af, k->addr[d], k->port[d]);
	fputs(" -> ", f);
	put_ep(f, k->af, k->addr[!d], k->port[!d]);
}

/* Verdict of a judged stream; prints it unless f is NULL.  Returns 1 if OK. */
static int verdict(struct stream *s, FILE *f)
{
	struct tls *t = &s->tls;
	int ok = 1, i;

	if (t->err) {
		ok = 0;
		if (f) {
			fprintf(f, " NOT-TLS at %llu:",
				(unsigned long long)t->err_off);
			for (i = 0; i < (int)t->err_n; i++)
				fprintf(f, "%s%02x", i ? "" : " ",
					t->err_bytes[i]);
		}
	} else if (s->overflow) {
		ok = 0;
		if (f)
			fputs(" OVERFLOW (out-of-order data over the limit)", f);
	} else if (s->gap) {
		ok = 0;
		if (f)
			fprintf(f, " GAP at %llu (%llu bytes missing)",
				(unsigned long long)s->gap_off,
				(unsigned long long)s->gap_len);
	} else if (t->hn && !s->conn->rst) {
		ok = 0;
		if (f)
			fprintf(f, " TRUNCATED at %llu (record of %u bytes, %llu present)",
				(unsigned long long)t->rec_off,
				t->hn == 5 ? 5 + be16(t->hdr + 3) : 0,
				(unsigned long long)(s->len - t->rec_off));
	} else if (f) {
		fputs(" OK", f);
	}
	if (!f)
		return ok;
	if (ok && t->hn)
		fprintf(f, " (connection reset inside the record at %llu)",
			(unsigned long long)t->rec_off);
	if (!s->syn && s->bytes)
		fputs(" (no SYN: read from the first segment seen)", f);
	return ok;
}

static void put_markers(struct ctx *c, struct stream *s, FILE *f)
{
	int m;

	for (m = 0; m < c->nm; m++) {
		if (s->mk_off[m] >= 0)
			fprintf(f, " MARKER \"%s\" at %lld", c->marker[m],
				(long long)s->mk_off[m]);
		else if (s->mk_seg[m])
			fprintf(f, " MARKER \"%s\" in a segment", c->marker[m]);
	}
}

static int stream_has_marker(struct ctx *c, struct stream *s)
{
	int m;

	for (m = 0; m < c->nm; m++)
		if (s->mk_off[m] >= 0 || s->mk_seg[m])
			return 1;
	return 0;
}

static void report(struct ctx *c)
{
	FILE *f = c->quiet ? NULL : c->out;
	size_t i;
	int d, m;

	for (i = 0; i < c->nconns; i++) {
		struct conn *k = c->conns[i];

		for (d = 0; d < 2; d++)
			stream_finish(c, &k->s[d]);
		if (!k->judged) {
			for (d = 0; f && d < 2; d++) {
				if (!stream_has_marker(c, &k->s[d]))
					continue;
				fputs("marker in ", f);
				put_flow(f, k, d);
				fputs(" (not selected by -p):", f);
				put_markers(c, &k->s[d], f);
				fputc('\n', f);
			}
			continue;
		}
		c->r_conns++;
		for (d = 0; d < 2; d++) {
			struct stream *s = &k->s[d];
			struct tls *t = &s->tls;
			int ok, first = 1, ty;

			c->r_streams++;
			c->r_bytes += s->bytes;
			c->r_records += t->records;
			ok = verdict(s, NULL);
			if (!ok)
				c->r_bad++;
			if (!f)
				continue;
			fputs("stream ", f);
			put_flow(f, k, d);
			fprintf(f, " bytes %llu records %llu types {",
				(unsigned long long)s->bytes,
				(unsigned long long)t->records);
			for (ty = 0; ty < 4; ty++) {
				if (!t->types[ty])
					continue;
				fprintf(f, "%s%d:%llu", first ? "" : ",",
					ty + 20, (unsigned long long)t->types[ty]);
				first = 0;
			}
			fputc('}', f);
			verdict(s, f);
			put_markers(c, s, f);
			fputc('\n', f);
		}
	}
	for (m = 0; m < c->nm; m++)
		c->r_found += c->found[m];
	if (f && c->unparsed)
		fprintf(f, "unparsed: %llu packets (IP fragments of TCP, cut by the snap length or undecodable)\n",
			(unsigned long long)c->unparsed);
	if (f && !c->r_records)
		fputs("no TLS record seen\n", f);
	fprintf(c->out, "tlswire: connections %llu streams %llu bytes %llu records %llu not-tls %llu markers-found %llu unparsed %llu\n",
		(unsigned long long)c->r_conns,
		(unsigned long long)c->r_streams,
		(unsigned long long)c->r_bytes,
		(unsigned long long)c->r_records,
		(unsigned long long)c->r_bad,
		(unsigned long long)c->r_found,
		(unsigned long long)c->unparsed);
}

static void ctx_free(struct ctx *c)
{
	size_t i, j;
	int d;

	for (i = 0; i < c->nconns; i++) {
		for (d = 0; d < 2; d++) {
			struct stream *s = &c->conns[i]->s[d];

			for (j = 0; j < s->nooo; j++)
				free(s->ooo[j].data);
			free(s->ooo);
		}
		free(c->conns[i]);
	}
	free(c->conns);
	free(c->hash);
	c->conns = NULL;
	c->hash = NULL;
	c->nconns = c->cap_conns = 0;
}

/* Reads the capture from f and reports; returns the exit status. */
static int analyze(struct ctx *c, FILE *f, const char *name)
{
	uint8_t gh[24], rh[16];
	uint32_t (*get)(const uint8_t *);
	uint8_t *buf = NULL;
	unsigned long long nrec = 0;
	unsigned int major;
	int ret = 2;
	size_t r;

	c->hash = calloc(HASH_SIZE, sizeof(*c->hash));
	buf = malloc(MAX_CAPLEN);
	if (!c->hash || !buf) {
		fprintf(c->err, "tlswire: out of memory\n");
		goto out;
	}
	if (fread(gh, 1, sizeof(gh), f) != sizeof(gh)) {
		fprintf(c->err, "tlswire: %s: %s\n", name,
			ferror(f) ? "read error" : "too short for a pcap header");
		goto out;
	}
	if (le32(gh) == 0xa1b2c3d4 || le32(gh) == 0xa1b23c4d) {
		get = le32;
	} else if (be32(gh) == 0xa1b2c3d4 || be32(gh) == 0xa1b23c4d) {
		get = be32;
	} else if (be32(gh) == 0x0a0d0d0a) {
		fprintf(c->err, "tlswire: %s: pcapng is not supported, write classic pcap (tcpdump -w)\n",
			name);
		goto out;
	} else {
		fprintf(c->err, "tlswire: %s: not a pcap file (magic %08x)\n",
			name, be32(gh));
		goto out;
	}
	major = get == le32 ? gh[4] | gh[5] << 8 : gh[4] << 8 | gh[5];
	if (major != 2) {
		fprintf(c->err, "tlswire: %s: unsupported pcap version %u\n",
			name, major);
		goto out;
	}
	c->linktype = get(gh + 20) & 0x03ffffff;
	if (c->linktype != LT_EN10MB && c->linktype != LT_SLL &&
	    c->linktype != LT_SLL2 && c->linktype != LT_RAW) {
		fprintf(c->err, "tlswire: %s: unsupported link type %d\n",
			name, c->linktype);
		goto out;
	}
	for (;;) {
		uint32_t incl, orig;

		r = fread(rh, 1, sizeof(rh), f);
		if (!r && feof(f))
			break;
		if (r != sizeof(rh)) {
			fprintf(c->err, "tlswire: %s: %s in record header %llu\n",
				name, ferror(f) ? "read error" : "truncated",
				nrec + 1);
			goto out;
		}
		incl = get(rh + 8);
		orig = get(rh + 12);
		if (incl > MAX_CAPLEN) {
			fprintf(c->err, "tlswire: %s: record %llu: captured length %u is too large\n",
				name, nrec + 1, incl);
			goto out;
		}
		if (fread(buf, 1, incl, f) != incl) {
			fprintf(c->err, "tlswire: %s: %s in record %llu\n",
				name, ferror(f) ? "read error" : "truncated",
				nrec + 1);
			goto out;
		}
		nrec++;
		packet(c, buf, incl, orig);
		if (c->fatal) {
			fprintf(c->err, "tlswire: %s: record %llu: %s\n",
				name, nrec, c->fatal);
			goto out;
		}
	}
	report(c);
	ret = c->r_bad || c->r_found || c->unparsed || !c->r_records;
out:
	free(buf);
	ctx_free(c);
	return ret;
}

static int add_marker(struct ctx *c, const char *m)
{
	size_t n = strlen(m);

	if (c->nm >= MAX_MARKERS || !n || n > MAX_MARKER_LEN) {
		fprintf(stderr, "tlswire: at most %d markers of 1..%d bytes\n",
			MAX_MARKERS, MAX_MARKER_LEN);
		return -1;
	}
	c->marker[c->nm] = m;
	c->mlen[c->nm++] = n;
	if (n > c->mlen_max)
		c->mlen_max = n;
	return 0;
}

/* ======================================================================
 * --selftest: in-memory captures with known verdicts, TAP output.
 * ====================================================================== */

struct pb {
	uint8_t *buf;
	size_t len, cap;
	int lt, be;
};

struct flow {
	int af;
	uint8_t addr[2][16];
	uint16_t port[2];
	int exthdr;	/* IPv4: options; IPv6: an extension header ... */
	int ext6;	/* ... of this type: 0 hbh, 43 routing, 44 fragment, 60 */
	int vlan;
};

static void pb_put(struct pb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->buf = realloc(b->buf, b->cap);
		if (!b->buf)
			abort();
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void pb_32(struct pb *b, uint32_t v)
{
	uint8_t x[4];

	if (b->be) {
		x[0] = v >> 24; x[1] = v >> 16; x[2] = v >> 8; x[3] = v;
	} else {
		x[3] = v >> 24; x[2] = v >> 16; x[1] = v >> 8; x[0] = v;
	}
	pb_put(b, x, 4);
}

static void pb_init(struct pb *b, int lt, int be, int ns)
{
	memset(b, 0, sizeof(*b));
	b->lt = lt;
	b->be = be;
	pb_32(b, ns ? 0xa1b23c4d : 0xa1b2c3d4);
	pb_32(b, 4u << 16 | 2);	/* major 2 minor 4, as two 16-bit fields */
	if (!be) {		/* little-endian: major first */
		b->len -= 4;
		pb_put(b, "\x02\x00\x04\x00", 4);
	} else {
		b->len -= 4;
		pb_put(b, "\x00\x02\x00\x04", 4);
	}
	pb_32(b, 0);
	pb_32(b, 0);
	pb_32(b, 262144);
	pb_32(b, lt);
}

static void pb_rec(struct pb *b, const uint8_t *p, size_t n, size_t orig)
{
	pb_32(b, 1);
	pb_32(b, 0);
	pb_32(b, n);
	pb_32(b, orig);
	pb_put(b, p, n);
}

static void w16(uint8_t *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void w32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* One TCP segment of flow f in direction d. */
static void pb_seg(struct pb *b, const struct flow *f, int d, uint32_t seq,
		   unsigned int flags, const void *pl, size_t n)
{
	static uint8_t fr[70000];
	size_t off = 0, ip, tcpo, ipl, tot;
	unsigned int et = f->af == 4 ? 0x0800 : 0x86dd;

	memset(fr, 0, 128);
	switch (b->lt) {
	case LT_EN10MB:
		memcpy(fr, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
		off = 12;
		if (f->vlan) {
			w16(fr + off, 0x8100);
			w16(fr + off + 2, 42);
			off += 4;
		}
		w16(fr + off, et);
		off += 2;
		break;
	case LT_SLL:
		w16(fr, 4);		/* sent by us */
		w16(fr + 2, 1);
		w16(fr + 4, 6);
		w16(fr + 14, et);
		off = 16;
		break;
	case LT_SLL2:
		w16(fr, et);
		w32(fr + 4, 3);
		w16(fr + 8, 1);
		fr[11] = 6;
		off = 20;
		break;
	}
	ip = off;
	if (f->af == 4) {
		ipl = f->exthdr ? 24 : 20;
		fr[ip] = 0x40 | ipl / 4;
		fr[ip + 8] = 64;
		fr[ip + 9] = 6;
		memcpy(fr + ip + 12, f->addr[d], 4);
		memcpy(fr + ip + 16, f->addr[!d], 4);
		if (f->exthdr)
			memcpy(fr + ip + 20, "\x01\x01\x01\x00", 4);	/* NOPs, EOL */
	} else {
		ipl = 40;
		fr[ip] = 0x60;
		fr[ip + 6] = f->exthdr ? f->ext6 : 6;
		fr[ip + 7] = 64;
		memcpy(fr + ip + 8, f->addr[d], 16);
		memcpy(fr + ip + 24, f->addr[!d], 16);
		if (f->exthdr) {
			fr[ip + 40] = 6;
			fr[ip + 41] = 0;
			fr[ip + 42] = 1;	/* PadN */
			fr[ip + 43] = 4;
			memset(fr + ip + 44, 0, 4);
			ipl = 48;
		}
	}
	tcpo = ip + ipl;
	memset(fr + tcpo, 0, 20);
	w16(fr + tcpo, f->port[d]);
	w16(fr + tcpo + 2, f->port[!d]);
	w32(fr + tcpo + 4, seq);
	fr[tcpo + 12] = 5 << 4;
	fr[tcpo + 13] = flags | 0x10;	/* ACK on everything: harmless */
	if (flags == TH_SYN)
		fr[tcpo + 13] = TH_SYN;
	if (n)
		memcpy(fr + tcpo + 20, pl, n);
	tot = ipl + 20 + n;
	if (f->af == 4)
		w16(fr + ip + 2, tot);
	else
		w16(fr + ip + 4, tot - 40);
	tot += ip;
	if (b->lt == LT_EN10MB && tot < 60) {	/* Ethernet padding */
		memset(fr + tot, 0xee, 60 - tot);
		tot = 60;
	}
	pb_rec(b, fr, tot, tot);
}

/* A TLS record of type t and body length n (body: not ASCII). */
static size_t mkrec(uint8_t *p, int t, unsigned int n)
{
	unsigned int i;

	p[0] = t;
	p[1] = 3;
	p[2] = 3;
	w16(p + 3, n);
	for (i = 0; i < n; i++)
		p[5 + i] = 0x80 | ((i * 37 + t) & 0x7f);
	return 5 + n;
}

static struct flow flow4(uint16_t sport, uint16_t dport)
{
	struct flow f = { .af = 4, .port = { sport, dport } };

	memcpy(f.addr[0], "\x0a\x15\x00\x01", 4);
	memcpy(f.addr[1], "\x0a\x15\x00\x02", 4);
	return f;
}

static struct flow flow6(uint16_t sport, uint16_t dport, int ext)
{
	struct flow f = { .af = 6, .port = { sport, dport },
			  .exthdr = ext >= 0, .ext6 = ext };

	inet_pton(AF_INET6, "fd21::1", f.addr[0]);
	inet_pton(AF_INET6, "fd21::2", f.addr[1]);
	return f;
}

/* SYN, SYN-ACK; data seqs then start at isn + 1. */
static void handshake(struct pb *b, const struct flow *f, uint32_t ci, uint32_t si)
{
	pb_seg(b, f, 0, ci, TH_SYN, NULL, 0);
	pb_seg(b, f, 1, si, TH_SYN, NULL, 0);
}

/* A client and a server stream of records, each sent as one segment. */
static void tls_conn(struct pb *b, const struct flow *f, uint32_t ci,
		     uint32_t si, int fin)
{
	uint8_t r[4096];
	size_t n;

	handshake(b, f, ci, si);
	n = mkrec(r, 22, 200);
	pb_seg(b, f, 0, ci + 1, 0, r, n);
	n = mkrec(r, 22, 300);
	n += mkrec(r + n, 20, 1);
	pb_seg(b, f, 1, si + 1, 0, r, n);
	ci += 1 + 205;
	si += 1 + 311;
	n = mkrec(r, 23, 1000);
	pb_seg(b, f, 0, ci, 0, r, n);
	ci += n;
	pb_seg(b, f, 1, si, 0, r, n);
	si += n;
	if (fin) {
		pb_seg(b, f, 0, ci, TH_FIN, NULL, 0);
		pb_seg(b, f, 1, si, TH_FIN, NULL, 0);
	}
}

struct res {
	int code;
	unsigned long long conns, streams, bytes, records, bad, found, unparsed;
	char out[8192];
};

static int run(const struct pb *b, int port, const char *marker, struct res *r)
{
	struct ctx c = { .port = port };
	char *ob = NULL;
	size_t ol = 0;
	FILE *in, *out, *err;

	if (marker)
		add_marker(&c, marker);
	in = fmemopen(b->buf, b->len, "r");
	out = open_memstream(&ob, &ol);
	err = fopen("/dev/null", "w");
	if (!in || !out || !err)
		abort();
	c.out = out;
	c.err = err;
	memset(r, 0, sizeof(*r));
	r->code = analyze(&c, in, "selftest");
	fclose(in);
	fclose(out);
	fclose(err);
	snprintf(r->out, sizeof(r->out), "%s", ob ? ob : "");
	free(ob);
	{
		const char *s = strstr(r->out, "tlswire: connections");

		if (s)
			sscanf(s, "tlswire: connections %llu streams %llu bytes %llu records %llu not-tls %llu markers-found %llu unparsed %llu",
			       &r->conns, &r->streams, &r->bytes, &r->records,
			       &r->bad, &r->found, &r->unparsed);
	}
	return r->code;
}

static int ntest, nfail;

static void tap(int ok, const char *what, const struct res *r)
{
	ntest++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ntest, what);
	if (!ok) {
		nfail++;
		if (r) {
			const char *p = r->out, *e;

			printf("# exit %d\n", r->code);
			while (*p) {
				e = strchr(p, '\n');
				if (!e)
					e = p + strlen(p);
				printf("#   %.*s\n", (int)(e - p), p);
				p = *e ? e + 1 : e;
			}
		}
	}
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* The main valid capture: records split, retransmitted and reordered. */
static void build_split(struct pb *b, int lt, int be, int ns, const struct flow *f)
{
	uint8_t s[8192];
	uint32_t ci = 1000, si = 5000000;
	size_t n = 0;

	pb_init(b, lt, be, ns);
	handshake(b, f, ci, si);
	n += mkrec(s + n, 22, 517);
	n += mkrec(s + n, 20, 1);
	n += mkrec(s + n, 23, 3000);
	n += mkrec(s + n, 23, 40);
	n += mkrec(s + n, 21, 2);
	/* client: [0,300) [300,700) [1200,2000) [700,1200) [300,700) again,
	 * [2000,n) with [1500,2500) overlapping it first */
	pb_seg(b, f, 0, ci + 1, 0, s, 300);
	pb_seg(b, f, 0, ci + 1 + 300, 0, s + 300, 400);
	pb_seg(b, f, 0, ci + 1 + 1200, 0, s + 1200, 800);
	pb_seg(b, f, 1, si + 1, 0, s, 522);		/* server: one record */
	pb_seg(b, f, 0, ci + 1 + 700, 0, s + 700, 500);
	pb_seg(b, f, 0, ci + 1 + 300, 0, s + 300, 400);	/* retransmission */
	pb_seg(b, f, 0, ci + 1 + 1500, 0, s + 1500, 1000);
	pb_seg(b, f, 0, ci + 1 + 2000, TH_FIN, s + 2000, n - 2000);
	pb_seg(b, f, 1, si + 1 + 522, TH_FIN, NULL, 0);
}

static int has(const struct res *r, const char *s)
{
	return strstr(r->out, s) != NULL;
}

static int selftest(void)
{
	struct flow f4 = flow4(40000, 443), f;
	struct pb b, b2;
	struct res r;
	static uint8_t s[20000];
	size_t n;
	int i, bad;

	build_split(&b, LT_EN10MB, 0, 0, &f4);
	run(&b, 0, NULL, &r);
	tap(r.code == 0 && r.conns == 1 && r.streams == 2 && r.records == 6 &&
	    r.bad == 0 && has(&r, "types {20:1,21:1,22:1,23:2} OK") &&
	    has(&r, "stream 10.21.0.2:443 -> 10.21.0.1:40000 bytes 522 records 1 types {22:1} OK"),
	    "IPv4/EN10MB: records split, retransmitted, out of order, overlapping: OK", &r);
	run(&b, 443, "kmtls-probe", &r);
	tap(r.code == 0 && r.found == 0, "... with -p 443 and a marker absent: OK", &r);
	run(&b, 444, NULL, &r);
	tap(r.code == 1 && r.conns == 0 && has(&r, "no TLS record seen"),
	    "... with -p of another port: no records, exit 1", &r);
	free(b.buf);

	build_split(&b, LT_EN10MB, 1, 1, &f4);
	run(&b, 0, NULL, &r);
	tap(r.code == 0 && r.records == 6, "big-endian nanosecond pcap: OK", &r);
	free(b.buf);

	f = f4;
	f.vlan = 1;
	f.exthdr = 1;
	build_split(&b, LT_EN10MB, 0, 0, &f);
	run(&b, 0, NULL, &r);
	tap(r.code == 0 && r.records == 6, "VLAN tag and IPv4 options: OK", &r);
	free(b.buf);

	f = flow6(40000, 7001, 60);
	build_split(&b, LT_SLL2, 0, 0, &f);
	run(&b, 7001, NULL, &r);
	tap(r.code == 0 && r.records == 6 &&
	    has(&r, "stream [fd21::1]:40000 -> [fd21::2]:7001 bytes "),
	    "IPv6 with a destination options header, LINUX_SLL2: OK", &r);
	free(b.buf);

	f = flow6(40000, 7001, 0);
	build_split(&b, LT_SLL, 0, 0, &f);
	run(&b, 7001, NULL, &r);
	tap(r.code == 0 && r.records == 6, "IPv6 with hop-by-hop options, LINUX_SLL: OK", &r);
	free(b.buf);

	f = flow6(40000, 7001, 43);
	build_split(&b, LT_EN10MB, 0, 0, &f);
	run(&b, 7001, NULL, &r);
	tap(r.code == 0 && r.records == 6, "IPv6 with a routing header, EN10MB: OK", &r);
	free(b.buf);

	/* plaintext */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	pb_seg(&b, &f4, 0, 8, 0, "GET / HTTP/1.1\r\n\r\n", 18);
	pb_seg(&b, &f4, 1, 10, 0, s, mkrec(s, 23, 10));
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.bad == 1 && r.records == 1 &&
	    has(&r, "NOT-TLS at 0: 474554202f20485454502f312e310d0a"),
	    "plaintext stream: NOT-TLS at 0 with its first 16 bytes", &r);
	free(b.buf);

	/* plaintext after valid records, split so the hex spans segments */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	n = mkrec(s, 23, 10);
	memcpy(s + n, "kmtls-probe\n", 12);
	pb_seg(&b, &f4, 0, 8, 0, s, n + 3);
	pb_seg(&b, &f4, 0, 8 + n + 3, 0, s + n + 3, 9);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.bad == 1 &&
	    has(&r, "NOT-TLS at 15: 6b6d746c732d70726f62650a"),
	    "plaintext after a record: NOT-TLS at its offset, bytes across segments", &r);
	free(b.buf);

	/* marker split across two segments inside a record body */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	n = mkrec(s, 23, 100);
	memcpy(s + 50, "kmtls-probe", 11);
	pb_seg(&b, &f4, 0, 8, 0, s, 56);
	pb_seg(&b, &f4, 0, 8 + 56, 0, s + 56, n - 56);
	run(&b, 0, "kmtls-probe", &r);
	tap(r.code == 1 && r.found == 1 && r.bad == 0 &&
	    has(&r, "OK MARKER \"kmtls-probe\" at 50"),
	    "marker split across two segments: found at its stream offset", &r);
	run(&b, 0, "kmtls-probX", &r);
	tap(r.code == 0 && r.found == 0, "... another marker: not found, OK", &r);
	run(&b, 0, NULL, &r);
	tap(r.code == 0, "... no marker: OK", &r);
	free(b.buf);

	/* conflicting copies: the one captured first wins, out of order too */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	n = mkrec(s, 23, 100);
	pb_seg(&b, &f4, 0, 8 + 20, 0, "PLAINTEXT!", 10);
	pb_seg(&b, &f4, 0, 8, 0, s, n);
	run(&b, 0, "PLAINTEXT!", &r);
	tap(r.code == 1 && r.bad == 0 &&
	    has(&r, "OK MARKER \"PLAINTEXT!\" at 20"),
	    "an out-of-order copy captured first wins over a later overlap", &r);
	free(b.buf);
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	pb_seg(&b, &f4, 0, 8 + 3, 0, "PLAINTEXT!", 10);
	pb_seg(&b, &f4, 0, 8, 0, s, n);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.bad == 1 &&
	    has(&r, "NOT-TLS at 0: 170303504c41494e5445585421"),
	    "... even when that breaks the record (the later copy is ignored)", &r);
	free(b.buf);

	/* marker in a retransmission that differs, on an unselected port */
	pb_init(&b, LT_EN10MB, 0, 0);
	tls_conn(&b, &f4, 100, 200, 1);
	f = flow4(40001, 80);
	handshake(&b, &f, 1, 2);
	n = mkrec(s, 23, 30);
	pb_seg(&b, &f, 0, 2, 0, s, n);
	pb_seg(&b, &f, 0, 2, 0, "xxkmtls-probexx", 15);
	run(&b, 443, "kmtls-probe", &r);
	tap(r.code == 1 && r.found == 1 && r.conns == 1 && r.bad == 0 &&
	    has(&r, "marker in 10.21.0.1:40001 -> 10.21.0.2:80 (not selected by -p): MARKER \"kmtls-probe\" in a segment"),
	    "marker in a differing retransmission on another port: found", &r);
	run(&b, 443, NULL, &r);
	tap(r.code == 0 && r.conns == 1 && r.records == 5,
	    "... without the marker, -p 443: OK (first copy kept)", &r);
	free(b.buf);

	/* port filter with a plaintext connection beside */
	pb_init(&b, LT_EN10MB, 0, 0);
	tls_conn(&b, &f4, 100, 200, 1);
	f = flow4(40001, 80);
	handshake(&b, &f, 1, 2);
	pb_seg(&b, &f, 0, 2, 0, "hello", 5);
	run(&b, 443, NULL, &r);
	tap(r.code == 0 && r.conns == 1, "-p 443 ignores a plaintext connection on port 80", &r);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.conns == 2 && r.bad == 1 && has(&r, "NOT-TLS at 0: 68656c6c6f"),
	    "... all TCP: the plaintext connection fails", &r);
	free(b.buf);

	/* gaps */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	n = mkrec(s, 23, 100);
	pb_seg(&b, &f4, 0, 8, 0, s, 40);
	pb_seg(&b, &f4, 0, 8 + 60, 0, s + 60, n - 60);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && has(&r, "GAP at 40 (20 bytes missing)"), "missing segment: GAP", &r);
	free(b.buf);
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	pb_seg(&b, &f4, 0, 8, 0, s, n);
	pb_seg(&b, &f4, 0, 8 + n + 100, TH_FIN, NULL, 0);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && has(&r, "GAP at 105 (100 bytes missing)"),
	    "FIN beyond the data: GAP", &r);
	free(b.buf);

	/* truncated last record, with and without RST */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	n = mkrec(s, 23, 100);
	n += mkrec(s + n, 23, 100);
	pb_seg(&b, &f4, 0, 8, TH_FIN, s, n - 30);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.records == 1 &&
	    has(&r, "TRUNCATED at 105 (record of 105 bytes, 75 present)"),
	    "last record cut short, FIN: TRUNCATED", &r);
	pb_seg(&b, &f4, 1, 10, TH_RST, NULL, 0);
	run(&b, 0, NULL, &r);
	tap(r.code == 0 && has(&r, "OK (connection reset inside the record at 105)"),
	    "... then RST: OK with a note", &r);
	free(b.buf);

	/* no SYN, sequence wrap-around */
	pb_init(&b, LT_SLL2, 0, 0);
	n = mkrec(s, 22, 300);
	n += mkrec(s + n, 23, 2000);
	pb_seg(&b, &f4, 0, 0xffffff00, 0, s, 700);
	pb_seg(&b, &f4, 0, 0xffffff00 + 700, 0, s + 700, n - 700);
	run(&b, 0, NULL, &r);
	tap(r.code == 0 && r.records == 2 &&
	    has(&r, "(no SYN: read from the first segment seen)"),
	    "no SYN and a sequence wrap-around: OK with a note", &r);
	free(b.buf);

	/* the same ports reused with a new ISN: two connections */
	pb_init(&b, LT_EN10MB, 0, 0);
	tls_conn(&b, &f4, 100, 200, 1);
	tls_conn(&b, &f4, 90000, 7000, 1);
	run(&b, 0, NULL, &r);
	tap(r.code == 0 && r.conns == 2 && r.records == 10, "port reuse, new ISN: a new connection", &r);
	free(b.buf);

	/* header limits */
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	n = mkrec(s, 23, MAX_REC_LEN);
	pb_seg(&b, &f4, 0, 8, 0, s, n);
	s[0] = 23; s[1] = 3; s[2] = 4; w16(s + 3, MAX_REC_LEN + 1);
	pb_seg(&b, &f4, 0, 8 + n, 0, s, 5);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.records == 1 && has(&r, "NOT-TLS at 16645: 1703044101"),
	    "a 16640-byte record passes, a 16641-byte one is NOT-TLS", &r);
	free(b.buf);
	pb_init(&b, LT_EN10MB, 0, 0);
	handshake(&b, &f4, 7, 9);
	pb_seg(&b, &f4, 0, 8, 0, "\x17\x03\x05\x00\x01x", 6);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && has(&r, "NOT-TLS at 0: 170305"), "version 3.5: NOT-TLS", &r);
	free(b.buf);

	/* fragments */
	pb_init(&b, LT_EN10MB, 0, 0);
	tls_conn(&b, &f4, 100, 200, 1);
	b2 = b;
	b2.buf = malloc(b.len + 200);
	memcpy(b2.buf, b.buf, b.len);
	b2.cap = b.len + 200;
	pb_seg(&b2, &f4, 0, 5, 0, "x", 1);
	b2.buf[b2.len - 60 + 14 + 6] = 0x20;	/* MF */
	run(&b2, 0, NULL, &r);
	tap(r.code == 1 && r.unparsed == 1, "IPv4 fragment of TCP: unparsed, exit 1", &r);
	free(b2.buf);
	free(b.buf);
	f = flow6(40000, 7001, 44);
	pb_init(&b, LT_EN10MB, 0, 0);
	pb_seg(&b, &f, 0, 5, 0, "\0\0\0\0\0\0\0\0", 8);
	f.exthdr = 0;
	tls_conn(&b, &f, 100, 200, 1);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.unparsed == 1 && r.records == 5,
	    "IPv6 fragment header: unparsed, exit 1", &r);
	free(b.buf);

	/* malformed files */
	pb_init(&b, LT_EN10MB, 0, 0);
	run(&b, 0, NULL, &r);
	tap(r.code == 1 && r.records == 0, "empty capture: no records, exit 1", &r);
	b.buf[0] ^= 1;
	run(&b, 0, NULL, &r);
	tap(r.code == 2, "bad magic: exit 2", &r);
	free(b.buf);
	pb_init(&b, LT_EN10MB, 1, 0);
	memcpy(b.buf, "\x0a\x0d\x0d\x0a", 4);
	run(&b, 0, NULL, &r);
	tap(r.code == 2, "pcapng: exit 2", &r);
	free(b.buf);
	build_split(&b, LT_EN10MB, 0, 0, &f4);
	b.len -= 3;
	run(&b, 0, NULL, &r);
	tap(r.code == 2, "truncated last packet: exit 2", &r);
	free(b.buf);

	/* fuzz: mutated and truncated captures never crash */
	build_split(&b, LT_SLL2, 0, 0, &f4);
	b2 = b;
	b2.buf = malloc(b.len);
	bad = 0;
	for (i = 0; i < 3000; i++) {
		int k, flips = 1 + rnd() % 8;

		memcpy(b2.buf, b.buf, b.len);
		b2.len = b.len;
		for (k = 0; k < flips; k++) {
			size_t at = 24 + rnd() % (b.len - 24);

			if (rnd() % 4 == 0)
				at = 24 + (rnd() % 12) * 16 + rnd() % 60;
			if (at < b.len)
				b2.buf[at] = rnd();
		}
		if (rnd() % 8 == 0)
			b2.len = rnd() % b.len;
		run(&b2, 0, "kmtls-probe", &r);
		if (r.code < 0 || r.code > 2)
			bad++;
	}
	tap(!bad, "3000 mutated captures: exit 0, 1 or 2, no crash", NULL);
	free(b2.buf);
	free(b.buf);

	printf("1..%d\n# %d of %d failed\n", ntest, nfail, ntest);
	return nfail ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tlswire [-p PORT] [-m MARKER]... [-q] FILE.pcap\n"
		"       tlswire --selftest\n");
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	FILE *f;
	char *end;
	long v;
	int o, ret;

	if (argc == 2 && !strcmp(argv[1], "--selftest"))
		return selftest();
	c.out = stdout;
	c.err = stderr;
	while ((o = getopt(argc, argv, "p:m:qh")) != -1) {
		switch (o) {
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 65535) {
				fprintf(stderr, "tlswire: bad port '%s'\n", optarg);
				return 2;
			}
			c.port = v;
			break;
		case 'm':
			if (add_marker(&c, optarg))
				return 2;
			break;
		case 'q':
			c.quiet = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage();
		return 2;
	}
	f = fopen(argv[optind], "rb");
	if (!f) {
		fprintf(stderr, "tlswire: %s: ", argv[optind]);
		perror(NULL);
		return 2;
	}
	ret = analyze(&c, f, argv[optind]);
	fclose(f);
	return ret;
}
