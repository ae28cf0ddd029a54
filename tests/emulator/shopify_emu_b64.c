/*
 * shopify_emu_b64.c - base64 for the Shopify twin's opaque cursors, with
 * OpenSSL's encoder (kept apart: OpenSSL's headers and include/common.h
 * both define ERR_STATE).
 */
#include "shopify_emu.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

char *sh_b64_encode(const char *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (!out)
		abort();
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
	return out;
}

char *sh_b64_decode(const char *in, size_t *n)
{
	size_t len = strlen(in), pad = 0;
	unsigned char *buf;
	int got;

	if (len == 0 || len % 4 != 0 || len > 8192)
		return NULL;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		abort();
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return NULL;
	}
	*n = (size_t)got - pad;
	buf[*n] = '\0';
	return (char *)buf;
}
