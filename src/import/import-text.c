/*
 * import-text.c - the text helpers of the import: repairing UTF-8 that was
 * encoded twice, and ids made from free text.
 *
 * Double encoding: a file's UTF-8 bytes read as Latin-1 or Windows-1252 and
 * written out again as UTF-8 turn each multi-byte character into two to
 * four characters of U+0080..U+00FF (or the Windows-1252 specials such as
 * '†' for 0x86): "→" (E2 86 92) becomes "â†’". The repair maps each such
 * character back to its byte and keeps the result where those bytes form
 * one valid multi-byte UTF-8 sequence; anything else is left as it was. A
 * run cut short by U+FFFD (a byte the tool could not read, replaced) is one
 * lost character: it becomes U+FFFD.
 */
#include "import/import.h"

#include <ctype.h>
#include <string.h>

/* Windows-1252's 0x80..0x9F, as code points (0: undefined there). */
static const unsigned cp1252_high[32] = {
	0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
	0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* Decode the UTF-8 sequence at s (n bytes valid): its code point and length,
 * or length 0. */
static size_t decode(const unsigned char *s, size_t avail, unsigned *cp)
{
	size_t l = util_utf8_seq(s, avail);
	if (l == 1)
		*cp = s[0];
	else if (l == 2)
		*cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	else if (l == 3)
		*cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	else if (l == 4)
		*cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
		      (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	return l;
}

/* The single byte (0x80..0xFF) a character stands for once read as
 * Latin-1 or Windows-1252, or -1. */
static int byte_of(unsigned cp)
{
	if (cp >= 0x80 && cp <= 0xff)
		return (int)cp;
	for (int i = 0; i < 32; i++)
		if (cp1252_high[i] && cp1252_high[i] == cp)
			return 0x80 + i;
	return -1;
}

/* At s: a run of characters standing for bytes that make one valid UTF-8
 * sequence of 2..4 bytes? Then its bytes in out, and the length of the run
 * in the text; else 0. */
static size_t twice_encoded(const unsigned char *s, size_t avail, unsigned char out[4],
			    size_t *nout)
{
	size_t used = 0, need;
	unsigned cp;
	int b;
	size_t l = decode(s, avail, &cp);
	if (l < 2)
		return 0;
	b = byte_of(cp);
	if (b < 0xc2 || b > 0xf4)
		return 0;
	need = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
	out[0] = (unsigned char)b;
	used = l;
	for (size_t k = 1; k < need; k++) {
		l = decode(s + used, avail - used, &cp);
		if (!l)
			return 0;
		if (cp == 0xfffd) {
			/* a byte the Latin-1 tool could not read was replaced:
			 * the character is lost, and said so (U+FFFD) */
			memcpy(out, "\xef\xbf\xbd", 3);
			*nout = 3;
			return used + l;
		}
		b = byte_of(cp);
		if (b < 0x80 || b > 0xbf)
			return 0;
		out[k] = (unsigned char)b;
		used += l;
	}
	if (util_utf8_seq(out, need) != need)
		return 0;
	*nout = need;
	return used;
}

char *import_repair_mojibake(const char *text, size_t *len, size_t *count)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *s = (const unsigned char *)text;
	size_t n = *len, i = 0;

	*count = 0;
	strbuf_grow(&sb, n + 1);
	while (i < n) {
		unsigned char bytes[4];
		size_t nb = 0, used = twice_encoded(s + i, n - i, bytes, &nb);
		if (used) {
			strbuf_add(&sb, bytes, nb);
			(*count)++;
			i += used;
			continue;
		}
		strbuf_addch(&sb, (char)s[i]);
		i++;
	}
	*len = sb.len;
	return strbuf_detach(&sb);
}

char *import_slug(const char *text, size_t max_words)
{
	struct strbuf sb = STRBUF_INIT;
	size_t words = 0;
	int depth = 0;
	bool in_word = false;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '(') {
			depth++;
			continue;
		}
		if (*p == ')') {
			if (depth)
				depth--;
			continue;
		}
		if (depth)
			continue;
		if (isalnum(*p) || ((*p == '_' || *p == '.') && in_word && isalnum(p[1]))) {
			if (!in_word) {
				if (words == max_words)
					break;
				if (sb.len)
					strbuf_addch(&sb, '-');
				words++;
				in_word = true;
			}
			strbuf_addch(&sb, (char)tolower(*p));
		} else if (*p != '\'') {
			in_word = false;
		}
	}
	if (sb.len > IMPORT_ID_MAX) {
		/* a very long word: cut, never ending in a separator */
		sb.len = IMPORT_ID_MAX;
		while (sb.len && !isalnum((unsigned char)sb.buf[sb.len - 1]))
			sb.len--;
		sb.buf[sb.len] = 0;
	}
	if (!sb.len)
		strbuf_addstr(&sb, "item");
	return strbuf_detach(&sb);
}
