/*
 * fuzz-keys.c: keys_parse_private, keys_parse_public and b64_decode.
 *
 * The input is a whole key file.  Base64 is decoded strictly (exact
 * padding, no stray bits), so every key has one spelling: a key that
 * parses must encode back to exactly the characters it was read from.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PRIVATE_TAG	"secchat-x25519-private "
#define PUBLIC_TAG	"secchat-x25519 "
#define KEY_B64_LEN	44

/* The key's base64 must be the KEY_B64_LEN characters at off. */
static void
check_b64(const uint8_t key[KEY_LEN], const uint8_t *data, size_t size,
    size_t off)
{
	char	 b64[KEY_B64_LEN + 1];

	if (b64_encode(key, KEY_LEN, b64, sizeof(b64)) != KEY_B64_LEN ||
	    size < off + KEY_B64_LEN || memcmp(data + off, b64,
	    KEY_B64_LEN) != 0)
		abort();
}

static void
private_key(const uint8_t *data, size_t size)
{
	uint8_t	 priv[KEY_LEN];

	if (keys_parse_private((const char *)data, size, priv) == -1)
		return;
	if (memcmp(data, PRIVATE_TAG, strlen(PRIVATE_TAG)) != 0)
		abort();
	check_b64(priv, data, size, strlen(PRIVATE_TAG));
}

static void
public_key(const uint8_t *data, size_t size)
{
	uint8_t	 pub[KEY_LEN];
	char	 fp[FINGERPRINT_LEN];

	if (keys_parse_public((const char *)data, size, pub) == -1)
		return;
	if (memcmp(data, PUBLIC_TAG, strlen(PUBLIC_TAG)) != 0)
		abort();
	check_b64(pub, data, size, strlen(PUBLIC_TAG));
	keys_fingerprint(pub, fp);
	if (strnlen(fp, sizeof(fp)) != FINGERPRINT_LEN - 1 ||
	    strncmp(fp, "SHA256:", 7) != 0)
		abort();
}

/* Any decoded string must encode back to the input. */
static void
base64(const uint8_t *data, size_t size)
{
	uint8_t	*bin;
	char	*text;
	size_t	 textmax = size + 4;
	int	 n;

	if ((bin = malloc(size + 1)) == NULL ||
	    (text = malloc(textmax)) == NULL)
		abort();
	n = b64_decode((const char *)data, size, bin, size + 1);
	if (n > 0 && (b64_encode(bin, (size_t)n, text, textmax) != (int)size ||
	    memcmp(text, data, size) != 0))
		abort();
	if (n == 0 && size != 0)
		abort();
	free(bin);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	private_key(data, size);
	public_key(data, size);
	base64(data, size);
	return 0;
}
