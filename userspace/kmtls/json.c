// SPDX-License-Identifier: GPL-2.0
/*
 * A tiny streaming JSON writer.  It checks its own use (keys only inside
 * objects, balanced closes, a single top-level value) so that a mistake in
 * a print function shows up as an error in the unit tests, not as broken
 * output for a user's parser.
 */
#include <inttypes.h>

#include "json.h"

void json_init(struct json_writer *w, FILE *f, bool pretty)
{
	*w = (struct json_writer){ .f = f, .pretty = pretty };
}

static void newline_indent(struct json_writer *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Everything a value needs before it: a comma, indentation, its key. */
static bool begin_value(struct json_writer *w, const char *key)
{
	if (w->misuse)
		return false;
	if (w->depth == 0) {
		if (key || w->done)
			goto misuse;
		return true;
	}
	if ((w->kind[w->depth - 1] == '{') != (key != NULL))
		goto misuse;
	if (!w->empty[w->depth - 1])
		fputc(',', w->f);
	w->empty[w->depth - 1] = false;
	newline_indent(w);
	if (key) {
		json_write_string(w->f, key);
		fputs(w->pretty ? ": " : ":", w->f);
	}
	return true;
misuse:
	w->misuse = true;
	return false;
}

static void end_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
}

static void open_level(struct json_writer *w, const char *key, char kind)
{
	if (!begin_value(w, key))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->misuse = true;
		return;
	}
	fputc(kind, w->f);
	w->kind[w->depth] = kind;
	w->empty[w->depth] = true;
	w->depth++;
}

static void close_level(struct json_writer *w, char kind)
{
	if (w->misuse)
		return;
	if (w->depth == 0 || w->kind[w->depth - 1] != kind) {
		w->misuse = true;
		return;
	}
	w->depth--;
	if (!w->empty[w->depth])
		newline_indent(w);
	fputc(kind == '{' ? '}' : ']', w->f);
	end_value(w);
}

void json_obj_open(struct json_writer *w, const char *key)
{
	open_level(w, key, '{');
}

void json_obj_close(struct json_writer *w)
{
	close_level(w, '{');
}

void json_arr_open(struct json_writer *w, const char *key)
{
	open_level(w, key, '[');
}

void json_arr_close(struct json_writer *w)
{
	close_level(w, '[');
}

void json_str(struct json_writer *w, const char *key, const char *val)
{
	if (!begin_value(w, key))
		return;
	json_write_string(w->f, val);
	end_value(w);
}

void json_u64(struct json_writer *w, const char *key, uint64_t val)
{
	if (!begin_value(w, key))
		return;
	fprintf(w->f, "%" PRIu64, val);
	end_value(w);
}

void json_bool(struct json_writer *w, const char *key, bool val)
{
	if (!begin_value(w, key))
		return;
	fputs(val ? "true" : "false", w->f);
	end_value(w);
}

void json_null(struct json_writer *w, const char *key)
{
	if (!begin_value(w, key))
		return;
	fputs("null", w->f);
	end_value(w);
}

int json_finish(struct json_writer *w)
{
	if (w->misuse || w->depth != 0 || !w->done)
		return -1;
	fputc('\n', w->f);
	return ferror(w->f) ? -1 : 0;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* Overlong forms, surrogates and code points above U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', f);
	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(f, "\\u%04x", *s);
				break;
			}
			n = utf8_len(s);
			if (n == 0) {
				fputs("\\ufffd", f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}
