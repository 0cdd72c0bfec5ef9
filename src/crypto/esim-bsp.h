/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BSP, the BPP protection protocol of SGP.22 §2.6.4 / §5.5 (called "SCP03t"
 * before SGP.22 v3), with AES-128: S-ENC encrypts, S-MAC authenticates, and
 * every protected TLV ("86" load profile elements, "87" ConfigureISDP and
 * ReplaceSessionKeys, "88" StoreMetadata, MAC only) carries an 8-byte C-MAC
 * chained over all earlier ones.
 *
 * One EsimBsp is one direction of one session: the SM-DP+ wraps, the eUICC
 * unwraps, in the same order.  Each step is also exposed on its own (KDF,
 * ICV, padding, C-MAC) so that a test can check it against an independent
 * computation.  Facts and their sources:
 *   - KDF: X9.63 with SHA-256, SharedInfo = keyType || keyLength || LV(hostId)
 *     || LV(EID), output MCV || S-ENC || S-MAC (SGP.22 §2.6.4.2, pySim
 *     pySim/esim/bsp.py bsp_key_derivation(), and its published vectors in
 *     tests/unittests/test_esim_bsp.py).
 *   - ICV: AES(S-ENC, block counter as 16 big-endian bytes), counter from 1,
 *     incremented for every segment, MAC-only ones included (pySim bsp.py
 *     BspAlgoCryptAES128._get_icv() and mac_only_one(), quoting SGP.22).
 *   - padding: 80 then 00 up to a multiple of 16, always at least one byte
 *     (SGP.22 §2.6.4.4 as quoted in pySim bsp.py _get_padding()).
 *   - C-MAC: AES-CMAC(S-MAC, MCV || tag || length || data) where length counts
 *     the 8 MAC bytes; the MAC is the first 8 bytes and the full 16 bytes are
 *     the next MCV (pySim bsp.py BspAlgoMac.auth() / BspAlgoMacAES128._auth()).
 *   - segments are at most 1020 bytes, tag, length and MAC included (SGP.22
 *     v3.0 §2.5.3 as quoted in pySim bsp.py).
 *   - ReplaceSessionKeys: the following segments use PPK-ENC / PPK-MAC and the
 *     given initial MCV, with the block counter back at 1 (pySim
 *     pySim/esim/es8p.py BoundProfilePackage.decode(); the third-party SM-DP+
 *     trace of test_esim_bsp.py BSP_Test_mode51 proves the reset).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_BSP_KEY_LEN            16
#define ESIM_BSP_MAC_LEN            8
#define ESIM_BSP_BLOCK_LEN          16
/* ControlRefTemplate values SGP.22 allows: AES ('88'), 16-byte keys */
#define ESIM_BSP_KEY_TYPE_AES       0x88
#define ESIM_BSP_KEY_LENGTH         16
#define ESIM_BSP_MAX_HOST_ID_LEN    16
/* The largest protected TLV: tag, length, data and MAC */
#define ESIM_BSP_MAX_SEGMENT_LEN    1020
/* The most plaintext one segment carries: 1020 - tag (1) - length (3) - MAC (8)
 * = 1008 bytes on the wire, which is 1007 plaintext bytes once padded */
#define ESIM_BSP_MAX_PLAIN_ENCRYPTED 1007
#define ESIM_BSP_MAX_PLAIN_MAC_ONLY  1008

/* The protected TLVs of a bound profile package (SGP.22 §2.5.4) */
#define ESIM_BSP_TAG_LOAD_PROFILE_ELEMENTS 0x86
#define ESIM_BSP_TAG_CONFIGURE_ISDP        0x87   /* and ReplaceSessionKeys */
#define ESIM_BSP_TAG_STORE_METADATA        0x88   /* MAC only */

/* A key set: session keys from the KDF, or PPKs from ReplaceSessionKeys. */
typedef struct {
	guint8 s_enc[ESIM_BSP_KEY_LEN];
	guint8 s_mac[ESIM_BSP_KEY_LEN];
	guint8 mcv[ESIM_BSP_BLOCK_LEN];   /* initial MAC chaining value */
} EsimBspKeys;

/* ---- key derivation ---- */

/* keyType || keyLength || LV(hostId) || LV(EID), the KDF's SharedInfo. */
GBytes  *esim_bsp_shared_info (guint8 key_type, guint8 key_length,
                               const guint8 *host_id, gsize host_id_len,
                               const guint8 *eid, gsize eid_len);
/* ANSI X9.63 KDF with SHA-256: SHA-256(Z || counter32 || SharedInfo) for
 * counter = 1, 2, … until @out_len bytes. */
void     esim_bsp_x963_kdf (const guint8 *z, gsize z_len, const guint8 *shared_info, gsize shared_info_len,
                            guint8 *out, gsize out_len);
/* Session keys from ShS and the CRT of InitialiseSecureChannel.  Refuses
 * (ESIM_CRYPTO_ERROR_UNSUPPORTED) a key type other than AES or a key length
 * other than 16, and a host ID longer than 16 bytes (INVALID_INPUT). */
gboolean esim_bsp_derive_keys (const guint8 *shared_secret, gsize shared_secret_len,
                               guint8 key_type, guint8 key_length,
                               const guint8 *host_id, gsize host_id_len,
                               const guint8 eid[16], EsimBspKeys *out, GError **error);

/* ---- single steps ---- */

/* ICV for the segment with block counter @counter. */
void     esim_bsp_icv (const guint8 s_enc[ESIM_BSP_KEY_LEN], guint32 counter, guint8 icv[ESIM_BSP_BLOCK_LEN]);
/* @data followed by 80 00…, a multiple of 16 bytes. */
GBytes  *esim_bsp_pad (const guint8 *data, gsize len);
/* Length of the plaintext in a padded buffer, or FALSE (BAD_PADDING) when the
 * last non-zero byte is not 80 or the padding spans more than one block. */
gboolean esim_bsp_unpad (const guint8 *data, gsize len, gsize *plain_len, GError **error);
/* AES-CMAC(S-MAC, MCV || header || data), full 16 bytes. */
void     esim_bsp_cmac (const guint8 s_mac[ESIM_BSP_KEY_LEN], const guint8 mcv[ESIM_BSP_BLOCK_LEN],
                        const guint8 *header, gsize header_len, const guint8 *data, gsize len,
                        guint8 out[ESIM_BSP_BLOCK_LEN]);

/* ---- the session ---- */

typedef struct _EsimBsp EsimBsp;

EsimBsp *esim_bsp_new (const EsimBspKeys *keys);
/* Wipes the keys. */
void     esim_bsp_free (EsimBsp *bsp);
/* Next segment's block counter (1 for a fresh session). */
guint32  esim_bsp_get_block_counter (EsimBsp *bsp);
/* Current MAC chaining value. */
void     esim_bsp_get_mcv (EsimBsp *bsp, guint8 mcv[ESIM_BSP_BLOCK_LEN]);
/* ReplaceSessionKeys: from now on @ppk, block counter 1, MCV ppk->mcv. */
void     esim_bsp_replace_keys (EsimBsp *bsp, const EsimBspKeys *ppk);

/* Protects @data as one TLV with @tag: encrypted and MACed, or MACed only
 * when @encrypt is FALSE.  Fails (INVALID_INPUT) if the TLV would exceed
 * ESIM_BSP_MAX_SEGMENT_LEN. */
GBytes    *esim_bsp_wrap (EsimBsp *bsp, guint8 tag, gboolean encrypt,
                          const guint8 *data, gsize len, GError **error);
/* Splits @data into segments of at most ESIM_BSP_MAX_PLAIN_* bytes and wraps
 * each; returns the TLVs (GBytes), at least one. */
GPtrArray *esim_bsp_wrap_all (EsimBsp *bsp, guint8 tag, gboolean encrypt,
                              const guint8 *data, gsize len, GError **error);
/* Verifies one protected TLV (tag @tag, DER length) and returns its plaintext,
 * decrypted when @encrypted.  The chaining value moves on only when the MAC
 * is right.  Any failure (structure, MAC, padding) aborts the session, as on
 * a card: every later call fails with ESIM_CRYPTO_ERROR_SEQUENCE. */
GBytes    *esim_bsp_unwrap (EsimBsp *bsp, guint8 tag, gboolean encrypted,
                            const guint8 *tlv, gsize len, GError **error);
gboolean   esim_bsp_is_aborted (EsimBsp *bsp);

/* ---- ReplaceSessionKeysRequest (BF26, SGP.22 §5.5.4) ---- */

/* BF26 { 80 initialMacChainingValue, 81 ppkEnc, 82 ppkCmac }. */
GBytes  *esim_bsp_encode_replace_session_keys (const EsimBspKeys *ppk);
/* Strict parse of exactly that, each value 16 bytes. */
gboolean esim_bsp_parse_replace_session_keys (const guint8 *data, gsize len, EsimBspKeys *ppk,
                                              GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimBsp, esim_bsp_free)

G_END_DECLS
