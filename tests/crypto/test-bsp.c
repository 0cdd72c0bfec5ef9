/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BSP (SGP.22 "SCP03t"): key derivation, the protection of 86/87/88 TLVs and
 * ReplaceSessionKeys, against pySim's published vectors
 * (osmocom/pysim tests/unittests/test_esim_bsp.py, see data/pysim-bsp/README.md),
 * and each step against a computation written here with nettle directly.
 */

#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/cmac.h>
#include <nettle/sha2.h>
#include <string.h>

#include "esim-bsp.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-util.h"

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);

	g_assert_no_error (error);
	return bytes;
}

static void
hex_to (const gchar *str, guint8 *out, gsize len)
{
	g_autoptr(GBytes) bytes = hex (str);

	g_assert_cmpuint (g_bytes_get_size (bytes), ==, len);
	memcpy (out, g_bytes_get_data (bytes, NULL), len);
}

static void
assert_hex (const guint8 *data, gsize len, const gchar *expected)
{
	g_autofree gchar *got = esim_hex_encode (data, len);
	g_autofree gchar *want = g_ascii_strup (expected, -1);

	g_assert_cmpstr (got, ==, want);
}

static void
assert_bytes_equal (GBytes *a, GBytes *b)
{
	g_assert_nonnull (a);
	g_assert_nonnull (b);
	g_assert_cmpmem (g_bytes_get_data (a, NULL), g_bytes_get_size (a), g_bytes_get_data (b, NULL),
	                 g_bytes_get_size (b));
}

static GBytes *
data_file (const gchar *name)
{
	g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "crypto", "data", "pysim-bsp", name, NULL);
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	g_assert_true (g_file_get_contents (path, &text, &len, &error));
	g_assert_no_error (error);
	if (g_str_has_suffix (name, ".b64")) {
		guchar *raw = g_base64_decode (g_strstrip (text), &len);

		return g_bytes_new_take (raw, len);
	}
	return hex (text);
}

static void
keys_from_hex (EsimBspKeys *keys, const gchar *s_enc, const gchar *s_mac, const gchar *mcv)
{
	hex_to (s_enc, keys->s_enc, 16);
	hex_to (s_mac, keys->s_mac, 16);
	hex_to (mcv, keys->mcv, 16);
}

/* ---- key derivation ---- */

static void
check_kdf (const gchar *shs, const gchar *eid, const gchar *s_enc, const gchar *s_mac, const gchar *mcv)
{
	g_autoptr(GError) error = NULL;
	const guint8 host_id[8] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80 };
	guint8 secret[32], eid_bin[16];
	EsimBspKeys keys;

	hex_to (shs, secret, sizeof (secret));
	hex_to (eid, eid_bin, sizeof (eid_bin));
	g_assert_true (esim_bsp_derive_keys (secret, sizeof (secret), 0x88, 16, host_id, sizeof (host_id),
	                                     eid_bin, &keys, &error));
	g_assert_no_error (error);
	assert_hex (keys.s_enc, 16, s_enc);
	assert_hex (keys.s_mac, 16, s_mac);
	assert_hex (keys.mcv, 16, mcv);
}

static void
test_kdf_pysim (void)
{
	/* test_esim_bsp.py BSP_Test.test_kdf and BSP_Test_mode51.test_kdf: keyType 88,
	 * keyLength 16, hostId 80 x 8 */
	check_kdf ("8902dca391bbb22570fe60c176076246f568b1941265dff1d729e63039658089",
	           "89049032123451234512345678901335",
	           "d782d575b22a38334556a3d9a1e2ae6b", "a35addc192ae8f934e2932116c7e89e7",
	           "734bc93ddb10c71c5ad13d420dc08b5b");
	check_kdf ("c9a993dd4879a8f7161f2085410edd4f9652f1df37be097ba96ba2ca6be528fe",
	           "89049032123451234512345678901235",
	           "472f5bfadd97f21d34f3ce9b51b92751", "9ec07f5b36a13e12a991d66e294e6242",
	           "406d507b448a699e7a36a38494debbde");
}

static void
test_kdf_independent (void)
{
	const guint8 host_id[3] = { 1, 2, 3 };
	guint8 z[32], eid[16], out[80], expected[96];
	g_autoptr(GBytes) info = NULL;
	g_autoptr(GBytes) want_info = hex ("881003010203" "10" "89049032123451234512345678901235");

	for (guint i = 0; i < sizeof (z); i++)
		z[i] = (guint8) (i * 7 + 1);
	hex_to ("89049032123451234512345678901235", eid, sizeof (eid));
	/* SharedInfo: keyType || keyLength || LV(hostId) || LV(EID) */
	info = esim_bsp_shared_info (0x88, 16, host_id, sizeof (host_id), eid, sizeof (eid));
	assert_bytes_equal (info, want_info);

	/* X9.63 written out: SHA-256(Z || counter || SharedInfo), counter 1, 2, 3 */
	for (guint32 counter = 1; counter <= 3; counter++) {
		struct sha256_ctx ctx;
		guint8 be[4] = { 0, 0, 0, (guint8) counter };

		sha256_init (&ctx);
		sha256_update (&ctx, sizeof (z), z);
		sha256_update (&ctx, 4, be);
		sha256_update (&ctx, g_bytes_get_size (info), g_bytes_get_data (info, NULL));
		sha256_digest (&ctx, 32, expected + 32 * (counter - 1));
	}
	esim_bsp_x963_kdf (z, sizeof (z), g_bytes_get_data (info, NULL), g_bytes_get_size (info), out, sizeof (out));
	g_assert_cmpmem (out, sizeof (out), expected, sizeof (out));
}

static void
test_kdf_refusals (void)
{
	guint8 z[32] = { 1 }, eid[16] = { 0x89 }, host[17] = { 0 };
	EsimBspKeys keys;
	GError *error = NULL;

	g_assert_false (esim_bsp_derive_keys (z, sizeof (z), 0x80, 16, host, 8, eid, &keys, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED);
	g_clear_error (&error);
	g_assert_false (esim_bsp_derive_keys (z, sizeof (z), 0x88, 32, host, 8, eid, &keys, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED);
	g_clear_error (&error);
	g_assert_false (esim_bsp_derive_keys (z, sizeof (z), 0x88, 16, host, 17, eid, &keys, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
	g_assert_false (esim_bsp_derive_keys (z, sizeof (z), 0x88, 16, host, 0, eid, &keys, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	g_clear_error (&error);
}

/* ---- single steps, against nettle used directly ---- */

static void
test_steps (void)
{
	guint8 key[16], icv[16], want[16], block[16] = { 0 };
	struct aes128_ctx aes;
	g_autoptr(GBytes) padded = NULL;
	gsize plain_len = 0;
	GError *error = NULL;

	hex_to ("472f5bfadd97f21d34f3ce9b51b92751", key, sizeof (key));
	aes128_set_encrypt_key (&aes, key);

	/* ICV = AES(S-ENC, counter as 16 big-endian bytes) */
	block[15] = 1;
	aes128_encrypt (&aes, 16, want, block);
	esim_bsp_icv (key, 1, icv);
	g_assert_cmpmem (icv, 16, want, 16);
	block[12] = 0x01; block[13] = 0x02; block[14] = 0x03; block[15] = 0x04;
	aes128_encrypt (&aes, 16, want, block);
	esim_bsp_icv (key, 0x01020304, icv);
	g_assert_cmpmem (icv, 16, want, 16);

	/* padding: 80 then zeros, always at least one byte, whole blocks */
	for (gsize len = 0; len <= 33; len++) {
		guint8 data[33];
		const guint8 *p;

		memset (data, 0xA5, sizeof (data));
		padded = esim_bsp_pad (data, len);
		p = g_bytes_get_data (padded, NULL);
		g_assert_cmpuint (g_bytes_get_size (padded), ==, (len / 16 + 1) * 16);
		g_assert_cmpuint (p[len], ==, 0x80);
		for (gsize i = len + 1; i < g_bytes_get_size (padded); i++)
			g_assert_cmpuint (p[i], ==, 0);
		g_assert_true (esim_bsp_unpad (p, g_bytes_get_size (padded), &plain_len, NULL));
		g_assert_cmpuint (plain_len, ==, len);
		g_clear_pointer (&padded, g_bytes_unref);
	}
	/* plaintext ending in 80 00 keeps them */
	{
		guint8 buf[16] = { 0x11, 0x80, 0x00, 0x80 };

		g_assert_true (esim_bsp_unpad (buf, 16, &plain_len, NULL));
		g_assert_cmpuint (plain_len, ==, 3);
	}
	/* no 80, all zero, padding longer than a block */
	{
		guint8 none[16] = { 1, 2, 3 };
		guint8 zero[16] = { 0 };
		guint8 longpad[32] = { 0 };

		longpad[0] = 0x80;
		g_assert_false (esim_bsp_unpad (none, 16, &plain_len, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_PADDING);
		g_clear_error (&error);
		g_assert_false (esim_bsp_unpad (zero, 16, &plain_len, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_PADDING);
		g_clear_error (&error);
		g_assert_false (esim_bsp_unpad (longpad, 32, &plain_len, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_PADDING);
		g_clear_error (&error);
	}
	/* C-MAC = AES-CMAC(S-MAC, MCV || header || data) */
	{
		struct cmac_aes128_ctx ctx;
		guint8 mcv[16], mac[16], got[16];
		const guint8 header[] = { 0x88, 0x0B };
		const guint8 data[] = "abc";

		hex_to ("406d507b448a699e7a36a38494debbde", mcv, sizeof (mcv));
		cmac_aes128_set_key (&ctx, key);
		cmac_aes128_update (&ctx, 16, mcv);
		cmac_aes128_update (&ctx, 2, header);
		cmac_aes128_update (&ctx, 3, data);
		cmac_aes128_digest (&ctx, 16, mac);
		esim_bsp_cmac (key, mcv, header, sizeof (header), data, 3, got);
		g_assert_cmpmem (got, 16, mac, 16);
	}
}

/* ---- pySim vectors ---- */

static GBytes *
wrap_hex (EsimBsp *bsp, guint8 tag, gboolean encrypt, const gchar *plain_hex)
{
	g_autoptr(GBytes) plain = hex (plain_hex);
	g_autoptr(GError) error = NULL;
	GBytes *out = esim_bsp_wrap (bsp, tag, encrypt, g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), &error);

	g_assert_no_error (error);
	return out;
}

static void
assert_unwraps_to (EsimBsp *card, guint8 tag, gboolean encrypted, GBytes *tlv, GBytes *expected)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) plain = esim_bsp_unwrap (card, tag, encrypted, g_bytes_get_data (tlv, NULL),
	                                           g_bytes_get_size (tlv), &error);

	g_assert_no_error (error);
	assert_bytes_equal (plain, expected);
}

#define MODE51_CONFIGURE_ISDP "bf2400"
#define MODE51_METADATA "bf252d5a0a98001032547698103214910947534d415f54455354921147534d415f544553545f50524f46494c45950100"
#define MODE51_RSK "bf26368010000102030405060708090a0b0c0d0e0f8110010102030405060708090a0b0c0d0e0f8210020102030405060708090a0b0c0d0e0f"

static void
test_pysim_mode51 (void)
{
	EsimBspKeys keys, ppk, want_ppk;
	g_autoptr(EsimBsp) dp = NULL;
	g_autoptr(EsimBsp) card = NULL;
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GBytes) rsk_plain = hex (MODE51_RSK);
	g_autoptr(GBytes) rsk_encoded = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *segments[][2] = {
		{ "mode51-seg0-plain.hex", "mode51-seg0-out.hex" },
		{ "mode51-seg1-plain.hex", "mode51-seg1-out.hex" },
	};

	keys_from_hex (&keys, "472f5bfadd97f21d34f3ce9b51b92751", "9ec07f5b36a13e12a991d66e294e6242",
	               "406d507b448a699e7a36a38494debbde");
	dp = esim_bsp_new (&keys);
	card = esim_bsp_new (&keys);

	/* BSP_Test_mode51.test_ciphering: 87 ConfigureISDP, 88 StoreMetadata, 87 ReplaceSessionKeys */
	out = wrap_hex (dp, 0x87, TRUE, MODE51_CONFIGURE_ISDP);
	assert_hex (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
	            "8718f6fe031e4b9cfe87c8e1e62f3fde85c49412d7722a6a2d89");
	{
		g_autoptr(GBytes) plain = hex (MODE51_CONFIGURE_ISDP);

		assert_unwraps_to (card, 0x87, TRUE, out, plain);
	}
	g_clear_pointer (&out, g_bytes_unref);

	out = wrap_hex (dp, 0x88, FALSE, MODE51_METADATA);
	assert_hex (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
	            "8838" MODE51_METADATA "8a62cc9adbb5ccbc");
	{
		g_autoptr(GBytes) plain = hex (MODE51_METADATA);

		assert_unwraps_to (card, 0x88, FALSE, out, plain);
	}
	g_assert_cmpuint (esim_bsp_get_block_counter (dp), ==, 3);
	g_assert_cmpuint (esim_bsp_get_block_counter (card), ==, 3);
	g_clear_pointer (&out, g_bytes_unref);

	out = wrap_hex (dp, 0x87, TRUE, MODE51_RSK);
	assert_hex (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
	            "8748a14c800a001992351cd46ad2945654674369701d82b7b46567652bc8fbed234939fc57fba748015525fd6c"
	            "651e9d3d1330652d42a0cfad950e912122af4ec5362d3c0bc535729c40");
	assert_unwraps_to (card, 0x87, TRUE, out, rsk_plain);

	/* the ReplaceSessionKeys content is the "new key material" of the vector */
	g_assert_true (esim_bsp_parse_replace_session_keys (g_bytes_get_data (rsk_plain, NULL),
	                                                     g_bytes_get_size (rsk_plain), &ppk, &error));
	g_assert_no_error (error);
	keys_from_hex (&want_ppk, "010102030405060708090a0b0c0d0e0f", "020102030405060708090a0b0c0d0e0f",
	               "000102030405060708090a0b0c0d0e0f");
	g_assert_cmpmem (&ppk, sizeof (ppk), &want_ppk, sizeof (want_ppk));
	rsk_encoded = esim_bsp_encode_replace_session_keys (&ppk);
	assert_bytes_equal (rsk_encoded, rsk_plain);

	/* 86 segments with the new keys, block counter back at 1 */
	esim_bsp_replace_keys (dp, &ppk);
	esim_bsp_replace_keys (card, &ppk);
	g_assert_cmpuint (esim_bsp_get_block_counter (card), ==, 1);
	for (guint i = 0; i < G_N_ELEMENTS (segments); i++) {
		g_autoptr(GBytes) plain = data_file (segments[i][0]);
		g_autoptr(GBytes) want = data_file (segments[i][1]);
		g_autoptr(GBytes) got = esim_bsp_wrap (dp, 0x86, TRUE, g_bytes_get_data (plain, NULL),
		                                       g_bytes_get_size (plain), &error);

		g_assert_no_error (error);
		assert_bytes_equal (got, want);
		g_assert_cmpuint (g_bytes_get_size (got), <=, ESIM_BSP_MAX_SEGMENT_LEN);
		assert_unwraps_to (card, 0x86, TRUE, want, plain);
	}
}

/* Strips the second TLV layer the pySim decode vector carries (data/pysim-bsp/README.md). */
static GBytes *
inner_tlv (const guint8 *outer, gsize len)
{
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (outer, len, &tlv, NULL));
	return g_bytes_new (tlv.value, tlv.len);
}

static void
test_pysim_decode (void)
{
	g_autoptr(GBytes) bpp = data_file ("decode-bpp-prefix.b64");
	g_autoptr(GBytes) upp = data_file ("decode-upp-prefix.b64");
	g_autoptr(GBytes) want_cfg = hex ("bf2400");
	g_autoptr(GBytes) want_smd = hex ("bf25285a0a89000123456789012341910a4f736d6f636f6d53504e920e4f736d6f636f6d"
	                                  "50726f66696c65");
	const guint8 *p = g_bytes_get_data (bpp, NULL);
	EsimBspKeys keys, ppk;
	g_autoptr(EsimBsp) bsp = NULL;
	g_autoptr(EsimBsp) bsp_ppk = NULL;
	gsize upp_offset = 0;
	/* where the parts lie in the vector: A0's 87 at 185, A1's 88 at 215, A3's 86 at 274 and 1314 */
	const struct { gsize at, len; guint8 tag; gboolean enc; } parts[] = {
		{ 185, 28, 0x87, TRUE }, { 215, 55, 0x88, FALSE },
	};
	const gsize seg86[] = { 274, 1314 };

	g_assert_cmpuint (g_bytes_get_size (bpp), ==, 2994);
	g_assert_cmpuint (p[0], ==, 0xBF);
	g_assert_cmpuint (p[1], ==, 0x36);
	keys_from_hex (&keys, "f11b921c302efb1df6bf218bf2de0dd8", "8cd4d3a761eeac108641d5f4531a137e",
	               "ee3140eafd692b68eff40119b363bc6c");
	bsp = esim_bsp_new (&keys);
	for (guint i = 0; i < G_N_ELEMENTS (parts); i++) {
		g_autoptr(GBytes) tlv = inner_tlv (p + parts[i].at, parts[i].len);

		assert_unwraps_to (bsp, parts[i].tag, parts[i].enc, tlv, i == 0 ? want_cfg : want_smd);
	}
	/* TestBSPdecode: the 86 segments with PPK-ENC 00…, PPK-MAC 11…, MCV 22… */
	memset (ppk.s_enc, 0x00, 16);
	memset (ppk.s_mac, 0x11, 16);
	memset (ppk.mcv, 0x22, 16);
	bsp_ppk = esim_bsp_new (&ppk);
	for (guint i = 0; i < G_N_ELEMENTS (seg86); i++) {
		g_autoptr(GBytes) tlv = inner_tlv (p + seg86[i], 1040);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) plain = esim_bsp_unwrap (bsp_ppk, 0x86, TRUE, g_bytes_get_data (tlv, NULL),
		                                           g_bytes_get_size (tlv), &error);

		g_assert_no_error (error);
		g_assert_cmpuint (upp_offset + g_bytes_get_size (plain), <=, g_bytes_get_size (upp));
		g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
		                 (const guint8 *) g_bytes_get_data (upp, NULL) + upp_offset, g_bytes_get_size (plain));
		upp_offset += g_bytes_get_size (plain);
	}
	g_assert_cmpuint (upp_offset, ==, 2016);
}

/* ---- lengths and segmentation ---- */

/* One MAC-only segment computed with nettle directly. */
static GBytes *
independent_mac_only (const EsimBspKeys *keys, guint8 tag, const guint8 *data, gsize len)
{
	struct cmac_aes128_ctx ctx;
	guint8 header[4] = { tag };
	gsize header_len;
	guint8 mac[16];
	GByteArray *out = g_byte_array_new ();
	gsize l = len + 8;

	if (l < 0x80) {
		header[1] = (guint8) l;
		header_len = 2;
	} else if (l < 0x100) {
		header[1] = 0x81;
		header[2] = (guint8) l;
		header_len = 3;
	} else {
		header[1] = 0x82;
		header[2] = (guint8) (l >> 8);
		header[3] = (guint8) l;
		header_len = 4;
	}
	cmac_aes128_set_key (&ctx, keys->s_mac);
	cmac_aes128_update (&ctx, 16, keys->mcv);
	cmac_aes128_update (&ctx, header_len, header);
	cmac_aes128_update (&ctx, len, data);
	cmac_aes128_digest (&ctx, 16, mac);
	g_byte_array_append (out, header, (guint) header_len);
	g_byte_array_append (out, data, (guint) len);
	g_byte_array_append (out, mac, 8);
	return g_byte_array_free_to_bytes (out);
}

static void
test_lengths (void)
{
	EsimBspKeys keys;
	guint8 data[3 * 1008];
	const gsize sizes[] = { 0, 1, 119, 120, 200, 247, 248, 1008 };
	GError *error = NULL;

	keys_from_hex (&keys, "000102030405060708090a0b0c0d0e0f", "101112131415161718191a1b1c1d1e1f",
	               "202122232425262728292a2b2c2d2e2f");
	for (gsize i = 0; i < sizeof (data); i++)
		data[i] = (guint8) (i * 31);

	/* the length form of the header changes at 128 and 256 bytes (MAC included) */
	for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
		g_autoptr(EsimBsp) bsp = esim_bsp_new (&keys);
		g_autoptr(GBytes) want = independent_mac_only (&keys, 0x88, data, sizes[i]);
		g_autoptr(GBytes) got = esim_bsp_wrap (bsp, 0x88, FALSE, data, sizes[i], &error);

		g_assert_no_error (error);
		assert_bytes_equal (got, want);
	}

	/* too much for one segment */
	{
		g_autoptr(EsimBsp) bsp = esim_bsp_new (&keys);

		g_assert_null (esim_bsp_wrap (bsp, 0x86, TRUE, data, ESIM_BSP_MAX_PLAIN_ENCRYPTED + 1, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
		g_assert_null (esim_bsp_wrap (bsp, 0x88, FALSE, data, ESIM_BSP_MAX_PLAIN_MAC_ONLY + 1, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
	}

	/* splitting: every segment at most 1020 bytes, the pieces unwrap to the whole */
	for (gsize total = 0; total <= 2 * 1007 + 1; total += 1007) {
		for (guint encrypt = 0; encrypt <= 1; encrypt++) {
			g_autoptr(EsimBsp) dp = esim_bsp_new (&keys);
			g_autoptr(EsimBsp) card = esim_bsp_new (&keys);
			g_autoptr(GPtrArray) segments = esim_bsp_wrap_all (dp, 0x86, encrypt, data, total + (total > 0),
			                                                  &error);
			gsize max = encrypt ? ESIM_BSP_MAX_PLAIN_ENCRYPTED : ESIM_BSP_MAX_PLAIN_MAC_ONLY;
			GByteArray *joined = g_byte_array_new ();

			g_assert_no_error (error);
			g_assert_cmpuint (segments->len, ==, MAX ((total + (total > 0) + max - 1) / max, 1));
			for (guint i = 0; i < segments->len; i++) {
				GBytes *segment = g_ptr_array_index (segments, i);
				g_autoptr(GBytes) plain = NULL;

				g_assert_cmpuint (g_bytes_get_size (segment), <=, ESIM_BSP_MAX_SEGMENT_LEN);
				plain = esim_bsp_unwrap (card, 0x86, encrypt, g_bytes_get_data (segment, NULL),
				                         g_bytes_get_size (segment), &error);
				g_assert_no_error (error);
				g_byte_array_append (joined, g_bytes_get_data (plain, NULL), (guint) g_bytes_get_size (plain));
			}
			g_assert_cmpmem (joined->data, joined->len, data, total + (total > 0));
			g_byte_array_unref (joined);
		}
	}
	/* a full 1007-byte encrypted segment is exactly 1020 bytes */
	{
		g_autoptr(EsimBsp) bsp = esim_bsp_new (&keys);
		g_autoptr(GBytes) full = esim_bsp_wrap (bsp, 0x86, TRUE, data, ESIM_BSP_MAX_PLAIN_ENCRYPTED, &error);

		g_assert_no_error (error);
		g_assert_cmpuint (g_bytes_get_size (full), ==, ESIM_BSP_MAX_SEGMENT_LEN);
	}
}

/* ---- refusals on the card side ---- */

static GBytes *
flip (GBytes *bytes, gsize offset)
{
	g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

	copy[offset] ^= 0x01;
	return g_bytes_new (copy, g_bytes_get_size (bytes));
}

static void
assert_unwrap_fails (EsimBsp *card, guint8 tag, gboolean encrypted, GBytes *tlv, gint code)
{
	GError *error = NULL;
	GBytes *plain = esim_bsp_unwrap (card, tag, encrypted, g_bytes_get_data (tlv, NULL),
	                                 g_bytes_get_size (tlv), &error);

	g_assert_null (plain);
	g_assert_error (error, ESIM_CRYPTO_ERROR, code);
	g_clear_error (&error);
	g_assert_true (esim_bsp_is_aborted (card));
}

/* A segment whose MAC is right but whose plaintext padding is not, made with nettle. */
static GBytes *
segment_with_bad_padding (const EsimBspKeys *keys)
{
	struct aes128_ctx aes;
	guint8 plain[16], icv[16], cipher[16], block[16] = { 0 };
	guint8 header[2] = { 0x86, 16 + 8 };
	struct cmac_aes128_ctx ctx;
	guint8 mac[16];
	GByteArray *out = g_byte_array_new ();

	memset (plain, 0x42, sizeof (plain));       /* no 80 anywhere */
	block[15] = 1;
	aes128_set_encrypt_key (&aes, keys->s_enc);
	aes128_encrypt (&aes, 16, icv, block);
	cbc_encrypt (&aes, (nettle_cipher_func *) aes128_encrypt, 16, icv, 16, cipher, plain);
	cmac_aes128_set_key (&ctx, keys->s_mac);
	cmac_aes128_update (&ctx, 16, keys->mcv);
	cmac_aes128_update (&ctx, 2, header);
	cmac_aes128_update (&ctx, 16, cipher);
	cmac_aes128_digest (&ctx, 16, mac);
	g_byte_array_append (out, header, 2);
	g_byte_array_append (out, cipher, 16);
	g_byte_array_append (out, mac, 8);
	return g_byte_array_free_to_bytes (out);
}

static void
test_refusals (void)
{
	EsimBspKeys keys;
	const guint8 a[] = "first segment", b[] = "second segment";
	g_autoptr(EsimBsp) dp = NULL;
	g_autoptr(GBytes) seg1 = NULL;
	g_autoptr(GBytes) seg2 = NULL;
	GError *error = NULL;

	keys_from_hex (&keys, "472f5bfadd97f21d34f3ce9b51b92751", "9ec07f5b36a13e12a991d66e294e6242",
	               "406d507b448a699e7a36a38494debbde");
	dp = esim_bsp_new (&keys);
	seg1 = esim_bsp_wrap (dp, 0x86, TRUE, a, sizeof (a), &error);
	g_assert_no_error (error);
	seg2 = esim_bsp_wrap (dp, 0x86, TRUE, b, sizeof (b), &error);
	g_assert_no_error (error);

	{
		/* a wrong MAC byte, a wrong ciphertext byte: BAD_MAC, and the session is over */
		g_autoptr(EsimBsp) card = esim_bsp_new (&keys);
		g_autoptr(GBytes) bad_mac = flip (seg1, g_bytes_get_size (seg1) - 1);
		g_autoptr(GBytes) bad_body = flip (seg1, 5);

		assert_unwrap_fails (card, 0x86, TRUE, bad_mac, ESIM_CRYPTO_ERROR_BAD_MAC);
		assert_unwrap_fails (card, 0x86, TRUE, seg1, ESIM_CRYPTO_ERROR_SEQUENCE);
		g_clear_pointer (&card, esim_bsp_free);
		card = esim_bsp_new (&keys);
		assert_unwrap_fails (card, 0x86, TRUE, bad_body, ESIM_CRYPTO_ERROR_BAD_MAC);
	}
	{
		/* out of order, replayed, wrong tag */
		g_autoptr(EsimBsp) card = esim_bsp_new (&keys);
		g_autoptr(GBytes) plain = NULL;

		assert_unwrap_fails (card, 0x86, TRUE, seg2, ESIM_CRYPTO_ERROR_BAD_MAC);
		g_clear_pointer (&card, esim_bsp_free);
		card = esim_bsp_new (&keys);
		plain = esim_bsp_unwrap (card, 0x86, TRUE, g_bytes_get_data (seg1, NULL), g_bytes_get_size (seg1), &error);
		g_assert_no_error (error);
		g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), a, sizeof (a));
		assert_unwrap_fails (card, 0x86, TRUE, seg1, ESIM_CRYPTO_ERROR_BAD_MAC);
		g_clear_pointer (&card, esim_bsp_free);
		card = esim_bsp_new (&keys);
		assert_unwrap_fails (card, 0x87, TRUE, seg1, ESIM_CRYPTO_ERROR_SEQUENCE);
		/* wrong keys */
		g_clear_pointer (&card, esim_bsp_free);
		{
			EsimBspKeys other = keys;

			other.mcv[0] ^= 1;
			card = esim_bsp_new (&other);
			assert_unwrap_fails (card, 0x86, TRUE, seg1, ESIM_CRYPTO_ERROR_BAD_MAC);
		}
	}
	{
		/* structure: truncated, MAC missing, not whole blocks */
		g_autoptr(EsimBsp) card = esim_bsp_new (&keys);
		g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (seg1, 0, g_bytes_get_size (seg1) - 1);
		g_autoptr(GBytes) tiny = hex ("8604AABBCCDD");
		g_autoptr(GBytes) odd = hex ("860F000102030405060708090A0B0C0D0E");

		assert_unwrap_fails (card, 0x86, TRUE, truncated, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_pointer (&card, esim_bsp_free);
		card = esim_bsp_new (&keys);
		assert_unwrap_fails (card, 0x86, TRUE, tiny, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_pointer (&card, esim_bsp_free);
		card = esim_bsp_new (&keys);
		assert_unwrap_fails (card, 0x86, TRUE, odd, ESIM_CRYPTO_ERROR_INVALID_INPUT);
	}
	{
		/* right MAC, wrong padding */
		g_autoptr(EsimBsp) card = esim_bsp_new (&keys);
		g_autoptr(GBytes) bad = segment_with_bad_padding (&keys);

		assert_unwrap_fails (card, 0x86, TRUE, bad, ESIM_CRYPTO_ERROR_BAD_PADDING);
	}
}

static void
test_replace_session_keys_refusals (void)
{
	const gchar *bad[] = {
		/* wrong outer tag */
		"bf27368010000102030405060708090a0b0c0d0e0f8110010102030405060708090a0b0c0d0e0f8210020102030405060708090a0b0c0d0e0f",
		/* a 15-byte key */
		"bf26358010000102030405060708090a0b0c0d0e0f8110010102030405060708090a0b0c0d0e0f820f0201020304050607080"
		"90a0b0c0d0e",
		/* ppkCmac missing */
		"bf26248010000102030405060708090a0b0c0d0e0f8110010102030405060708090a0b0c0d0e0f",
		/* an element after ppkCmac */
		"bf26398010000102030405060708090a0b0c0d0e0f8110010102030405060708090a0b0c0d0e0f8210020102030405060708"
		"090a0b0c0d0e0f830100",
		/* elements swapped */
		"bf26368110000102030405060708090a0b0c0d0e0f8010010102030405060708090a0b0c0d0e0f8210020102030405060708090a0b0c0d0e0f",
	};

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) der = hex (bad[i]);
		GError *error = NULL;
		EsimBspKeys ppk;

		g_assert_false (esim_bsp_parse_replace_session_keys (g_bytes_get_data (der, NULL),
		                                                      g_bytes_get_size (der), &ppk, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/crypto/bsp/kdf/pysim-vectors", test_kdf_pysim);
	g_test_add_func ("/crypto/bsp/kdf/x963-written-out", test_kdf_independent);
	g_test_add_func ("/crypto/bsp/kdf/refusals", test_kdf_refusals);
	g_test_add_func ("/crypto/bsp/steps", test_steps);
	g_test_add_func ("/crypto/bsp/pysim-mode51", test_pysim_mode51);
	g_test_add_func ("/crypto/bsp/pysim-decode", test_pysim_decode);
	g_test_add_func ("/crypto/bsp/lengths", test_lengths);
	g_test_add_func ("/crypto/bsp/refusals", test_refusals);
	g_test_add_func ("/crypto/bsp/replace-session-keys-refusals", test_replace_session_keys_refusals);
	return g_test_run ();
}
