/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer: objects, arrays, strings, unsigned
 * integers, booleans, null.  Compact output by default, two-space
 * indentation when pretty.  The writer owns no memory; the FILE belongs
 * to the caller.
 */
#ifndef KMTLS_JSON_H
#define KMTLS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	16

struct json_writer {
	FILE *f;
	bool pretty;
	bool misuse;			/* a call broke the structure */
	bool done;			/* the top-level value is complete */
	int depth;
	char kind[JSON_MAX_DEPTH];	/* '{' or '[' per open level */
	bool empty[JSON_MAX_DEPTH];	/* nothing written in it yet */
};

void json_init(struct json_writer *w, FILE *f, bool pretty);

/*
 * key names the value inside an object and must be NULL elsewhere (at the
 * top level and inside arrays); getting it wrong marks the writer misused.
 */
void json_obj_open(struct json_writer *w, const char *key);
void json_obj_close(struct json_writer *w);
void json_arr_open(struct json_writer *w, const char *key);
void json_arr_close(struct json_writer *w);
void json_str(struct json_writer *w, const char *key, const char *val);
void json_u64(struct json_writer *w, const char *key, uint64_t val);
void json_bool(struct json_writer *w, const char *key, bool val);
void json_null(struct json_writer *w, const char *key);

/*
 * End the document with a newline.  Returns 0, or -1 if it is incomplete,
 * the writer was misused, or the stream has an error.
 */
int json_finish(struct json_writer *w);

/*
 * Write s as a JSON string, quotes included.  Control characters, '"' and
 * '\\' are escaped; bytes that are not valid UTF-8 become U+FFFD.
 */
void json_write_string(FILE *f, const char *s);

#endif /* KMTLS_JSON_H */
