/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BSP with nettle's AES-128, CBC, CMAC and SHA-256.  The facts behind each
 * step are listed with their sources in esim-bsp.h.
 */

#define G_LOG_DOMAIN "esim-crypto"

#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/cmac.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <string.h>

#include "esim-bsp.h"
#include "esim-crypto.h"
#include "esim-der.h"

struct _EsimBsp {
	EsimBspKeys keys;
	guint32     counter;   /* next segment's block counter */
	gboolean    aborted;
};

/* ---- key derivation ---- */

/* BER length of a value of @len bytes, as pySim's bertlv_encode_len writes it. */
static void
append_lv (GByteArray *out, const guint8 *data, gsize len)
{
	guint8 buf[5];
	gsize n = esim_der_encode_length (len, buf);

	g_byte_array_append (out, buf, (guint) n);
	if (len > 0)
		g_byte_array_append (out, data, (guint) len);
}

GBytes *
esim_bsp_shared_info (guint8 key_type, guint8 key_length, const guint8 *host_id, gsize host_id_len,
                      const guint8 *eid, gsize eid_len)
{
	GByteArray *out = g_byte_array_new ();

	g_byte_array_append (out, &key_type, 1);
	g_byte_array_append (out, &key_length, 1);
	append_lv (out, host_id, host_id_len);
	append_lv (out, eid, eid_len);
	return g_byte_array_free_to_bytes (out);
}

void
esim_bsp_x963_kdf (const guint8 *z, gsize z_len, const guint8 *shared_info, gsize shared_info_len,
                   guint8 *out, gsize out_len)
{
	guint32 counter = 1;

	while (out_len > 0) {
		struct sha256_ctx ctx;
		guint8 digest[SHA256_DIGEST_SIZE];
		guint8 be[4] = { counter >> 24, counter >> 16, counter >> 8, counter };
		gsize n = MIN (out_len, sizeof (digest));

		sha256_init (&ctx);
		sha256_update (&ctx, z_len, z);
		sha256_update (&ctx, sizeof (be), be);
		sha256_update (&ctx, shared_info_len, shared_info);
		sha256_digest (&ctx, sizeof (digest), digest);
		memcpy (out, digest, n);
		memset (digest, 0, sizeof (digest));
		out += n;
		out_len -= n;
		counter++;
	}
}

gboolean
esim_bsp_derive_keys (const guint8 *shared_secret, gsize shared_secret_len, guint8 key_type,
                      guint8 key_length, const guint8 *host_id, gsize host_id_len,
                      const guint8 eid[16], EsimBspKeys *out, GError **error)
{
	g_autoptr(GBytes) info = NULL;
	guint8 material[3 * ESIM_BSP_KEY_LEN];

	g_return_val_if_fail (shared_secret != NULL && eid != NULL && out != NULL, FALSE);

	if (key_type != ESIM_BSP_KEY_TYPE_AES || key_length != ESIM_BSP_KEY_LENGTH) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED,
		             "unsupported control reference template: key type %02X, key length %u "
		             "(SGP.22 allows AES '88' with 16-byte keys)", key_type, key_length);
		return FALSE;
	}
	if (host_id_len == 0 || host_id_len > ESIM_BSP_MAX_HOST_ID_LEN) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "host ID of %" G_GSIZE_FORMAT " bytes, expected 1 to 16", host_id_len);
		return FALSE;
	}
	info = esim_bsp_shared_info (key_type, key_length, host_id, host_id_len, eid, 16);
	esim_bsp_x963_kdf (shared_secret, shared_secret_len, g_bytes_get_data (info, NULL),
	                   g_bytes_get_size (info), material, sizeof (material));
	/* initial MCV first, then S-ENC, then S-MAC (pySim bsp_key_derivation) */
	memcpy (out->mcv, material, ESIM_BSP_KEY_LEN);
	memcpy (out->s_enc, material + ESIM_BSP_KEY_LEN, ESIM_BSP_KEY_LEN);
	memcpy (out->s_mac, material + 2 * ESIM_BSP_KEY_LEN, ESIM_BSP_KEY_LEN);
	memset (material, 0, sizeof (material));
	return TRUE;
}

/* ---- single steps ---- */

void
esim_bsp_icv (const guint8 s_enc[ESIM_BSP_KEY_LEN], guint32 counter, guint8 icv[ESIM_BSP_BLOCK_LEN])
{
	struct aes128_ctx aes;
	guint8 block[ESIM_BSP_BLOCK_LEN] = { 0 };

	block[12] = counter >> 24;
	block[13] = counter >> 16;
	block[14] = counter >> 8;
	block[15] = counter;
	aes128_set_encrypt_key (&aes, s_enc);
	aes128_encrypt (&aes, sizeof (block), icv, block);
	memset (&aes, 0, sizeof (aes));
}

GBytes *
esim_bsp_pad (const guint8 *data, gsize len)
{
	gsize padded = (len / ESIM_BSP_BLOCK_LEN + 1) * ESIM_BSP_BLOCK_LEN;
	guint8 *out = g_malloc0 (padded);

	if (len > 0)
		memcpy (out, data, len);
	out[len] = 0x80;
	return g_bytes_new_take (out, padded);
}

gboolean
esim_bsp_unpad (const guint8 *data, gsize len, gsize *plain_len, GError **error)
{
	gsize i = len;

	while (i > 0 && data[i - 1] == 0x00)
		i--;
	if (i == 0 || data[i - 1] != 0x80 || len - (i - 1) > ESIM_BSP_BLOCK_LEN) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_PADDING,
		                     "decrypted segment does not end in 80 00… padding");
		return FALSE;
	}
	*plain_len = i - 1;
	return TRUE;
}

void
esim_bsp_cmac (const guint8 s_mac[ESIM_BSP_KEY_LEN], const guint8 mcv[ESIM_BSP_BLOCK_LEN],
               const guint8 *header, gsize header_len, const guint8 *data, gsize len,
               guint8 out[ESIM_BSP_BLOCK_LEN])
{
	struct cmac_aes128_ctx ctx;

	cmac_aes128_set_key (&ctx, s_mac);
	cmac_aes128_update (&ctx, ESIM_BSP_BLOCK_LEN, mcv);
	cmac_aes128_update (&ctx, header_len, header);
	if (len > 0)
		cmac_aes128_update (&ctx, len, data);
	cmac_aes128_digest (&ctx, ESIM_BSP_BLOCK_LEN, out);
	memset (&ctx, 0, sizeof (ctx));
}

/* ---- the session ---- */

EsimBsp *
esim_bsp_new (const EsimBspKeys *keys)
{
	EsimBsp *bsp;

	g_return_val_if_fail (keys != NULL, NULL);
	bsp = g_new0 (EsimBsp, 1);
	esim_bsp_replace_keys (bsp, keys);
	return bsp;
}

void
esim_bsp_free (EsimBsp *bsp)
{
	if (bsp == NULL)
		return;
	memset (bsp, 0, sizeof (*bsp));
	g_free (bsp);
}

guint32
esim_bsp_get_block_counter (EsimBsp *bsp)
{
	g_return_val_if_fail (bsp != NULL, 0);
	return bsp->counter;
}

void
esim_bsp_get_mcv (EsimBsp *bsp, guint8 mcv[ESIM_BSP_BLOCK_LEN])
{
	g_return_if_fail (bsp != NULL);
	memcpy (mcv, bsp->keys.mcv, ESIM_BSP_BLOCK_LEN);
}

void
esim_bsp_replace_keys (EsimBsp *bsp, const EsimBspKeys *ppk)
{
	g_return_if_fail (bsp != NULL && ppk != NULL);
	bsp->keys = *ppk;
	bsp->counter = 1;
}

gboolean
esim_bsp_is_aborted (EsimBsp *bsp)
{
	g_return_val_if_fail (bsp != NULL, TRUE);
	return bsp->aborted;
}

static void
cbc_crypt (const guint8 key[ESIM_BSP_KEY_LEN], const guint8 icv[ESIM_BSP_BLOCK_LEN], gboolean encrypt,
           const guint8 *in, gsize len, guint8 *out)
{
	struct aes128_ctx aes;
	guint8 iv[ESIM_BSP_BLOCK_LEN];

	memcpy (iv, icv, sizeof (iv));
	if (encrypt) {
		aes128_set_encrypt_key (&aes, key);
		cbc_encrypt (&aes, (nettle_cipher_func *) aes128_encrypt, ESIM_BSP_BLOCK_LEN, iv, len, out, in);
	} else {
		aes128_set_decrypt_key (&aes, key);
		cbc_decrypt (&aes, (nettle_cipher_func *) aes128_decrypt, ESIM_BSP_BLOCK_LEN, iv, len, out, in);
	}
	memset (&aes, 0, sizeof (aes));
}

GBytes *
esim_bsp_wrap (EsimBsp *bsp, guint8 tag, gboolean encrypt, const guint8 *data, gsize len,
               GError **error)
{
	g_autoptr(GBytes) padded = NULL;
	g_autofree guint8 *body = NULL;
	gsize body_len;
	guint8 header[1 + 5];
	gsize header_len;
	guint8 mac[ESIM_BSP_BLOCK_LEN];
	GByteArray *out;

	g_return_val_if_fail (bsp != NULL, NULL);
	g_return_val_if_fail (data != NULL || len == 0, NULL);

	if (bsp->aborted) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_SEQUENCE,
		                     "BSP session was aborted by an earlier failure");
		return NULL;
	}
	if (len > (encrypt ? ESIM_BSP_MAX_PLAIN_ENCRYPTED : ESIM_BSP_MAX_PLAIN_MAC_ONLY)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "%" G_GSIZE_FORMAT " bytes do not fit one BSP segment of %d bytes",
		             len, ESIM_BSP_MAX_SEGMENT_LEN);
		return NULL;
	}
	if (encrypt) {
		guint8 icv[ESIM_BSP_BLOCK_LEN];

		padded = esim_bsp_pad (data, len);
		body_len = g_bytes_get_size (padded);
		body = g_malloc (body_len);
		esim_bsp_icv (bsp->keys.s_enc, bsp->counter, icv);
		cbc_crypt (bsp->keys.s_enc, icv, TRUE, g_bytes_get_data (padded, NULL), body_len, body);
	} else {
		body_len = len;
		body = len > 0 ? g_memdup2 (data, len) : NULL;
	}
	/* MAC-only segments count too (pySim bsp.py mac_only_one) */
	bsp->counter++;

	header[0] = tag;
	header_len = 1 + esim_der_encode_length (body_len + ESIM_BSP_MAC_LEN, header + 1);
	esim_bsp_cmac (bsp->keys.s_mac, bsp->keys.mcv, header, header_len, body, body_len, mac);
	memcpy (bsp->keys.mcv, mac, ESIM_BSP_BLOCK_LEN);

	out = g_byte_array_sized_new ((guint) (header_len + body_len + ESIM_BSP_MAC_LEN));
	g_byte_array_append (out, header, (guint) header_len);
	if (body_len > 0)
		g_byte_array_append (out, body, (guint) body_len);
	g_byte_array_append (out, mac, ESIM_BSP_MAC_LEN);
	return g_byte_array_free_to_bytes (out);
}

GPtrArray *
esim_bsp_wrap_all (EsimBsp *bsp, guint8 tag, gboolean encrypt, const guint8 *data, gsize len,
                   GError **error)
{
	g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	gsize max = encrypt ? ESIM_BSP_MAX_PLAIN_ENCRYPTED : ESIM_BSP_MAX_PLAIN_MAC_ONLY;
	gsize offset = 0;

	g_return_val_if_fail (bsp != NULL, NULL);
	g_return_val_if_fail (data != NULL || len == 0, NULL);

	do {
		gsize n = MIN (max, len - offset);
		GBytes *segment = esim_bsp_wrap (bsp, tag, encrypt, data + offset, n, error);

		if (segment == NULL)
			return NULL;
		g_ptr_array_add (segments, segment);
		offset += n;
	} while (offset < len);
	return g_steal_pointer (&segments);
}

static GBytes *
unwrap_checked (EsimBsp *bsp, guint8 tag, gboolean encrypted, const guint8 *tlv, gsize len,
                GError **error)
{
	EsimTlv parsed;
	g_autoptr(GError) local_error = NULL;
	guint8 mac[ESIM_BSP_BLOCK_LEN];
	const guint8 *body;
	gsize body_len;
	gsize header_len;
	guint8 icv[ESIM_BSP_BLOCK_LEN];
	g_autofree guint8 *plain = NULL;
	gsize plain_len;

	if (!esim_tlv_parse_exact (tlv, len, &parsed, &local_error)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "malformed BSP segment: %s", local_error->message);
		return NULL;
	}
	if (parsed.tag != tag) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_SEQUENCE,
		             "BSP segment has tag %X where %02X was expected", parsed.tag, tag);
		return NULL;
	}
	if (parsed.len < ESIM_BSP_MAC_LEN) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "BSP segment of %" G_GSIZE_FORMAT " bytes cannot hold its MAC", parsed.len);
		return NULL;
	}
	body = parsed.value;
	body_len = parsed.len - ESIM_BSP_MAC_LEN;
	header_len = (gsize) (parsed.value - parsed.raw);
	if (encrypted && (body_len == 0 || body_len % ESIM_BSP_BLOCK_LEN != 0)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "encrypted BSP segment of %" G_GSIZE_FORMAT " bytes is not whole AES blocks",
		             body_len);
		return NULL;
	}
	/* the MAC covers the header exactly as received */
	esim_bsp_cmac (bsp->keys.s_mac, bsp->keys.mcv, parsed.raw, header_len, body, body_len, mac);
	if (!memeql_sec (mac, body + body_len, ESIM_BSP_MAC_LEN)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_MAC,
		             "BSP segment %u (tag %02X): wrong MAC", bsp->counter, tag);
		return NULL;
	}
	memcpy (bsp->keys.mcv, mac, ESIM_BSP_BLOCK_LEN);

	if (!encrypted) {
		bsp->counter++;
		return g_bytes_new (body, body_len);
	}
	esim_bsp_icv (bsp->keys.s_enc, bsp->counter, icv);
	bsp->counter++;
	plain = g_malloc (body_len);
	cbc_crypt (bsp->keys.s_enc, icv, FALSE, body, body_len, plain);
	if (!esim_bsp_unpad (plain, body_len, &plain_len, error)) {
		memset (plain, 0, body_len);
		return NULL;
	}
	return g_bytes_new_take (g_steal_pointer (&plain), plain_len);
}

GBytes *
esim_bsp_unwrap (EsimBsp *bsp, guint8 tag, gboolean encrypted, const guint8 *tlv, gsize len,
                 GError **error)
{
	GBytes *plain;

	g_return_val_if_fail (bsp != NULL, NULL);
	g_return_val_if_fail (tlv != NULL || len == 0, NULL);

	if (bsp->aborted) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_SEQUENCE,
		                     "BSP session was aborted by an earlier failure");
		return NULL;
	}
	plain = unwrap_checked (bsp, tag, encrypted, tlv, len, error);
	if (plain == NULL)
		bsp->aborted = TRUE;
	return plain;
}

/* ---- ReplaceSessionKeysRequest ---- */

#define TAG_REPLACE_SESSION_KEYS 0xBF26

GBytes *
esim_bsp_encode_replace_session_keys (const EsimBspKeys *ppk)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_val_if_fail (ppk != NULL, NULL);
	/* SGP.22 RSPDefinitions, AUTOMATIC TAGS: [0] initialMacChainingValue,
	 * [1] ppkEnc, [2] ppkCmac (pySim es8p.py gen_replace_session_keys) */
	esim_der_writer_begin (writer, TAG_REPLACE_SESSION_KEYS);
	esim_der_writer_put (writer, 0x80, ppk->mcv, ESIM_BSP_BLOCK_LEN);
	esim_der_writer_put (writer, 0x81, ppk->s_enc, ESIM_BSP_KEY_LEN);
	esim_der_writer_put (writer, 0x82, ppk->s_mac, ESIM_BSP_KEY_LEN);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

gboolean
esim_bsp_parse_replace_session_keys (const guint8 *data, gsize len, EsimBspKeys *ppk, GError **error)
{
	static const EsimTag tags[] = { 0x80, 0x81, 0x82 };
	g_autoptr(GError) local_error = NULL;
	EsimTlv top, child;
	EsimTlvIter iter;
	EsimBspKeys keys;
	guint8 *fields[] = { keys.mcv, keys.s_enc, keys.s_mac };

	g_return_val_if_fail (ppk != NULL, FALSE);
	g_return_val_if_fail (data != NULL || len == 0, FALSE);

	if (!esim_tlv_parse_tagged (data, len, TAG_REPLACE_SESSION_KEYS, &top, &local_error)) {
		g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		             "malformed ReplaceSessionKeysRequest: %s", local_error->message);
		return FALSE;
	}
	esim_tlv_iter_init (&iter, &top);
	for (guint i = 0; i < G_N_ELEMENTS (tags); i++) {
		if (!esim_tlv_iter_next (&iter, &child, &local_error) || child.tag != tags[i] ||
		    child.len != ESIM_BSP_KEY_LEN) {
			g_set_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
			             "ReplaceSessionKeysRequest: element %02X must hold 16 bytes%s%s",
			             tags[i], local_error != NULL ? ": " : "",
			             local_error != NULL ? local_error->message : "");
			return FALSE;
		}
		memcpy (fields[i], child.value, ESIM_BSP_KEY_LEN);
	}
	if (esim_tlv_iter_next (&iter, &child, NULL) || iter.pos != iter.end) {
		g_set_error_literal (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                     "ReplaceSessionKeysRequest: data after ppkCmac");
		memset (&keys, 0, sizeof (keys));
		return FALSE;
	}
	*ppk = keys;
	memset (&keys, 0, sizeof (keys));
	return TRUE;
}
