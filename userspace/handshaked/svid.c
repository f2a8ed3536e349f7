// SPDX-License-Identifier: GPL-2.0
/*
 * The SVID store.  See svid.h.  Identities come from the kernel's
 * handshake requests (the node's configured identities), so the table is a
 * small chained hash that only grows.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "spiffe.h"
#include "svid.h"
#include "tls.h"

#define SVID_BUCKETS	256
#define SVID_NFILES	3

static const char *const svid_files[SVID_NFILES] = {
	"svid.pem", "svid_key.pem", "bundle.pem",
};

/* What a file looked like; err is the stat() errno, 0 if it exists. */
struct file_sig {
	int err;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct svid_entry {
	struct svid_entry *next;
	char *id;			/* owned */
	SSL_CTX *ctx;			/* owned; NULL until a file set loads */
	struct file_sig sig[SVID_NFILES];	/* of the last load attempt */
	bool sig_valid;
	bool checked;			/* checked_ms is meaningful */
	uint64_t checked_ms;
	char error[512];		/* why the last load failed, or "" */
};

struct svid_store {
	char *dir;			/* owned */
	char *ciphersuites;		/* owned, may be NULL */
	size_t count;
	struct svid_entry *buckets[SVID_BUCKETS];
};

struct svid_store *svid_store_new(const char *dir, const char *ciphersuites)
{
	struct svid_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dir = strdup(dir);
	s->ciphersuites = ciphersuites ? strdup(ciphersuites) : NULL;
	if (!s->dir || (ciphersuites && !s->ciphersuites)) {
		svid_store_free(s);
		return NULL;
	}
	return s;
}

void svid_store_free(struct svid_store *s)
{
	struct svid_entry *e, *next;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < SVID_BUCKETS; i++) {
		for (e = s->buckets[i]; e; e = next) {
			next = e->next;
			SSL_CTX_free(e->ctx);
			free(e->id);
			free(e);
		}
	}
	free(s->dir);
	free(s->ciphersuites);
	free(s);
}

size_t svid_store_count(const struct svid_store *s)
{
	return s->count;
}

static size_t hash(const char *str)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *str; str++)
		h = (h ^ (uint8_t)*str) * 16777619u;
	return h % SVID_BUCKETS;
}

static struct svid_entry *lookup(struct svid_store *s, const char *id,
				 bool create)
{
	size_t b = hash(id);
	struct svid_entry *e;

	for (e = s->buckets[b]; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	if (!create)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->id = strdup(id);
	if (!e->id) {
		free(e);
		return NULL;
	}
	e->next = s->buckets[b];
	s->buckets[b] = e;
	s->count++;
	return e;
}

/* DIR/TD/PATH/name for spiffe://TD/PATH; -1 if it does not fit. */
static int file_path(const struct svid_store *s, const char *id,
		     const char *name, char *buf, size_t len)
{
	/* id is a checked SPIFFE ID: "spiffe://" then TD/PATH. */
	int n = snprintf(buf, len, "%s/%s/%s", s->dir, id + 9, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void stat_files(const struct svid_store *s, const char *id,
		       struct file_sig *sig)
{
	char path[4096 + 64];
	struct stat st;
	int i;

	memset(sig, 0, SVID_NFILES * sizeof(*sig));
	for (i = 0; i < SVID_NFILES; i++) {
		if (file_path(s, id, svid_files[i], path, sizeof(path))) {
			sig[i].err = ENAMETOOLONG;
		} else if (stat(path, &st)) {
			sig[i].err = errno;
		} else {
			sig[i].dev = st.st_dev;
			sig[i].ino = st.st_ino;
			sig[i].size = st.st_size;
			sig[i].mtime = st.st_mtim;
		}
	}
}

static bool sig_equal(const struct file_sig *a, const struct file_sig *b)
{
	int i;

	for (i = 0; i < SVID_NFILES; i++) {
		if (a[i].err != b[i].err || a[i].dev != b[i].dev ||
		    a[i].ino != b[i].ino || a[i].size != b[i].size ||
		    a[i].mtime.tv_sec != b[i].mtime.tv_sec ||
		    a[i].mtime.tv_nsec != b[i].mtime.tv_nsec)
			return false;
	}
	return true;
}

/* Load e's files; on success replace its SSL_CTX, else keep the old one. */
static void load(struct svid_store *s, struct svid_entry *e,
		 const struct file_sig *sig)
{
	char paths[SVID_NFILES][4096 + 64];
	char err[512];
	SSL_CTX *ctx;
	int i;

	memcpy(e->sig, sig, sizeof(e->sig));
	e->sig_valid = true;

	for (i = 0; i < SVID_NFILES; i++) {
		if (file_path(s, e->id, svid_files[i], paths[i],
			      sizeof(paths[i]))) {
			snprintf(err, sizeof(err), "no SVID: path too long");
			goto failed;
		}
		if (sig[i].err) {
			snprintf(err, sizeof(err), "no SVID: %.400s: %s",
				 paths[i], strerror(sig[i].err));
			goto failed;
		}
	}
	ctx = tls_ctx_new(paths[0], paths[1], paths[2], s->ciphersuites,
			  e->id, err, sizeof(err));
	if (!ctx)
		goto failed;
	if (e->ctx)
		log_info("svid %s: reloaded from %s/%s", e->id, s->dir,
			 e->id + 9);
	else
		log_info("svid %s: loaded from %s/%s", e->id, s->dir,
			 e->id + 9);
	SSL_CTX_free(e->ctx);
	e->ctx = ctx;
	e->error[0] = '\0';
	return;

failed:
	snprintf(e->error, sizeof(e->error), "%s", err);
	if (e->ctx)
		log_warn("svid %s: new files do not load, keeping the previous SVID: %s",
			 e->id, err);
}

SSL_CTX *svid_store_get(struct svid_store *s, const char *local_id,
			uint64_t now_ms, char *err, size_t errlen)
{
	struct file_sig sig[SVID_NFILES];
	struct svid_entry *e;
	const char *why;

	if (spiffe_id_check(local_id, NULL, &why)) {
		snprintf(err, errlen, "local id is not a SPIFFE ID: %s", why);
		return NULL;
	}
	e = lookup(s, local_id, true);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!e->checked || now_ms - e->checked_ms >= SVID_CHECK_MS ||
	    now_ms < e->checked_ms) {
		e->checked = true;
		e->checked_ms = now_ms;
		stat_files(s, local_id, sig);
		if (!e->sig_valid || !sig_equal(sig, e->sig))
			load(s, e, sig);
	}
	if (e->ctx)
		return e->ctx;
	snprintf(err, errlen, "%s", e->error[0] ? e->error : "no SVID");
	return NULL;
}

void svid_store_reload_all(struct svid_store *s)
{
	struct svid_entry *e;
	size_t i;

	for (i = 0; i < SVID_BUCKETS; i++) {
		for (e = s->buckets[i]; e; e = e->next) {
			e->checked = false;
			e->sig_valid = false;
		}
	}
}
