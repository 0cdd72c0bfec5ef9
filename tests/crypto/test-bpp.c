/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bound profile package end to end, as the SM-DP+ and the eUICC each do
 * their half: one-time keys, ShS, session keys, InitialiseSecureChannel signed
 * with a DPpb key and checked with its certificate, the package built and
 * opened; with the profile protected by the session keys and protected in
 * advance (ReplaceSessionKeys); then every refusal a card makes.
 */

#include <string.h>

#include "esim-bpp.h"
#include "esim-cert.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-ecka.h"
#include "esim-test-pki.h"
#include "esim-util.h"

#define EID "89049032123451234512345678901235"

static const guint8 TRANSACTION_ID[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8 };
static const guint8 HOST_ID[] = "esimd-smdp";

typedef struct {
	EsimTestPkiCert *ci;
	EsimTestPkiCert *dp_pb;
	EsimCert        *dp_pb_cert;
	EsimEckaKey     *euicc_ot;     /* the card's one-time key (PrepareDownload) */
	EsimEckaKey     *smdp_ot;      /* the SM-DP+'s one-time key */
	GBytes          *iscr;         /* BF23 */
	EsimBspKeys      dp_keys;      /* what the SM-DP+ derived */
	GBytes          *configure_isdp;
	GBytes          *store_metadata;
	GBytes          *upp;
} Session;

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);

	g_assert_no_error (error);
	return bytes;
}

static void
derive (EsimEckaKey *own, const guint8 *peer, const guint8 *host_id, gsize host_id_len, EsimBspKeys *out)
{
	g_autoptr(GError) error = NULL;
	guint8 shs[32], eid[16];

	g_assert_true (esim_eid_to_bytes (EID, eid, NULL));
	g_assert_true (esim_ecka_shared_secret (own, peer, ESIM_P256_POINT_LEN, shs, &error));
	g_assert_no_error (error);
	g_assert_true (esim_bsp_derive_keys (shs, sizeof (shs), ESIM_BSP_KEY_TYPE_AES, ESIM_BSP_KEY_LENGTH,
	                                     host_id, host_id_len, eid, out, &error));
	g_assert_no_error (error);
}

static void
session_init (Session *s)
{
	EsimTestPkiCertParams ci = { .common_name = "CI", .organization = "esimd test" };
	EsimTestPkiCertParams pb = { .common_name = "SM-DP+", .organization = "esimd test",
	                             .registered_id = ESIM_TEST_PKI_SMDP_OID };
	GBytes *der;
	g_autoptr(GError) error = NULL;
	GByteArray *upp = g_byte_array_new ();

	s->ci = esim_test_pki_cert_new (ESIM_CERT_ROLE_CI, &ci, NULL, &error);
	g_assert_no_error (error);
	s->dp_pb = esim_test_pki_cert_new (ESIM_CERT_ROLE_DP_PB, &pb, s->ci, &error);
	g_assert_no_error (error);
	der = esim_test_pki_cert_get_der (s->dp_pb);
	s->dp_pb_cert = esim_cert_new_from_der (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &error);
	g_assert_no_error (error);
	s->euicc_ot = esim_ecka_key_generate (&error);
	g_assert_no_error (error);
	s->smdp_ot = esim_ecka_key_generate (&error);
	g_assert_no_error (error);

	/* SM-DP+: BF23 signed with DPpb over its fields and the eUICC's otPK */
	s->iscr = esim_init_secure_channel_build (TRANSACTION_ID, sizeof (TRANSACTION_ID), HOST_ID, sizeof (HOST_ID) - 1,
	                                          esim_ecka_key_get_public (s->smdp_ot),
	                                          esim_ecka_key_get_public (s->euicc_ot),
	                                          esim_test_pki_cert_get_key (s->dp_pb), &error);
	g_assert_no_error (error);
	derive (s->smdp_ot, esim_ecka_key_get_public (s->euicc_ot), HOST_ID, sizeof (HOST_ID) - 1, &s->dp_keys);

	s->configure_isdp = hex ("BF2400");
	s->store_metadata = hex ("BF25225A0A989404000000000001F5910465736964920E6573696D642074657374206F6E65");
	/* a made-up profile of 2600 bytes: three 86 segments */
	for (guint i = 0; i < 2600; i++) {
		guint8 b = (guint8) (i * 13 + 7);

		g_byte_array_append (upp, &b, 1);
	}
	s->upp = g_byte_array_free_to_bytes (upp);
}

static void
session_clear (Session *s)
{
	esim_test_pki_cert_free (s->ci);
	esim_test_pki_cert_free (s->dp_pb);
	esim_cert_unref (s->dp_pb_cert);
	esim_ecka_key_free (s->euicc_ot);
	esim_ecka_key_free (s->smdp_ot);
	g_bytes_unref (s->iscr);
	g_bytes_unref (s->configure_isdp);
	g_bytes_unref (s->store_metadata);
	g_bytes_unref (s->upp);
}

/* The eUICC's side of BF23: parse, check the DPpb signature, derive the keys. */
static void
card_keys (Session *s, GBytes *iscr_bytes, EsimBspKeys *out)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitSecureChannel) iscr = NULL;
	g_autoptr(GBytes) signed_data = NULL;

	iscr = esim_init_secure_channel_parse (g_bytes_get_data (iscr_bytes, NULL), g_bytes_get_size (iscr_bytes), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (iscr->remote_op_id, ==, ESIM_BPP_REMOTE_OP_INSTALL);
	g_assert_cmpmem (g_bytes_get_data (iscr->transaction_id, NULL), g_bytes_get_size (iscr->transaction_id),
	                 TRANSACTION_ID, sizeof (TRANSACTION_ID));
	g_assert_cmpuint (iscr->key_type, ==, 0x88);
	g_assert_cmpuint (iscr->key_length, ==, 16);
	g_assert_cmpmem (iscr->smdp_otpk, 65, esim_ecka_key_get_public (s->smdp_ot), 65);
	signed_data = esim_init_secure_channel_signed_data (iscr, esim_ecka_key_get_public (s->euicc_ot));
	g_assert_true (esim_cert_verify_signature (s->dp_pb_cert, g_bytes_get_data (signed_data, NULL),
	                                           g_bytes_get_size (signed_data), iscr->smdp_signature, 64, &error));
	g_assert_no_error (error);
	derive (s->euicc_ot, iscr->smdp_otpk, g_bytes_get_data (iscr->host_id, NULL), g_bytes_get_size (iscr->host_id), out);
}

static GBytes *
build (Session *s, const EsimBspKeys *ppk, GPtrArray *ppp)
{
	g_autoptr(GError) error = NULL;
	EsimBppContent content = {
		.init_secure_channel = s->iscr, .configure_isdp = s->configure_isdp,
		.store_metadata = s->store_metadata, .upp = ppp == NULL ? s->upp : NULL, .ppk = ppk, .ppp = ppp,
	};
	GBytes *bpp = esim_bpp_build (&s->dp_keys, &content, &error);

	g_assert_no_error (error);
	return bpp;
}

static void
assert_opens (Session *s, GBytes *bpp, const EsimBspKeys *ppk)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBppPlain) plain = NULL;
	EsimBppCommand failed = 99;
	EsimBspKeys keys;

	card_keys (s, s->iscr, &keys);
	g_assert_cmpmem (&keys, sizeof (keys), &s->dp_keys, sizeof (keys));
	plain = esim_bpp_open (&keys, g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), &failed, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (plain->configure_isdp, s->configure_isdp));
	g_assert_true (g_bytes_equal (plain->store_metadata, s->store_metadata));
	g_assert_true (g_bytes_equal (plain->profile, s->upp));
	g_assert_cmpint (plain->replaced_keys, ==, ppk != NULL);
	if (ppk != NULL)
		g_assert_cmpmem (&plain->ppk, sizeof (plain->ppk), ppk, sizeof (*ppk));
}

static void
test_round_trip (void)
{
	Session s;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(EsimBppParts) parts = NULL;
	g_autoptr(GError) error = NULL;

	session_init (&s);
	bpp = build (&s, NULL, NULL);
	parts = esim_bpp_split (g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (parts->init_secure_channel, s.iscr));
	g_assert_cmpuint (parts->first_87->len, ==, 1);
	g_assert_cmpuint (parts->seq_88->len, ==, 1);
	g_assert_null (parts->second_87);
	/* 2600 bytes in segments of at most 1007: three, none over 1020 bytes */
	g_assert_cmpuint (parts->seq_86->len, ==, 3);
	for (guint i = 0; i < parts->seq_86->len; i++)
		g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (parts->seq_86, i)), <=, ESIM_BSP_MAX_SEGMENT_LEN);
	assert_opens (&s, bpp, NULL);
	session_clear (&s);
}

static void
test_protected_in_advance (void)
{
	Session s;
	EsimBspKeys ppk;
	g_autoptr(GPtrArray) ppp = NULL;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GBytes) bpp2 = NULL;
	g_autoptr(EsimBppParts) parts = NULL;
	g_autoptr(GError) error = NULL;

	session_init (&s);
	for (guint i = 0; i < 16; i++) {
		ppk.s_enc[i] = (guint8) (0xA0 + i);
		ppk.s_mac[i] = (guint8) (0xB0 + i);
		ppk.mcv[i] = (guint8) (0xC0 + i);
	}
	/* protected once, bound to this session and to the next one */
	ppp = esim_bpp_protect_profile (&ppk, g_bytes_get_data (s.upp, NULL), g_bytes_get_size (s.upp), &error);
	g_assert_no_error (error);
	bpp = build (&s, &ppk, ppp);
	parts = esim_bpp_split (g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), &error);
	g_assert_no_error (error);
	g_assert_nonnull (parts->second_87);
	for (guint i = 0; i < ppp->len; i++)
		g_assert_true (g_bytes_equal (g_ptr_array_index (parts->seq_86, i), g_ptr_array_index (ppp, i)));
	assert_opens (&s, bpp, &ppk);
	session_clear (&s);

	session_init (&s);
	bpp2 = build (&s, &ppk, ppp);
	assert_opens (&s, bpp2, &ppk);
	session_clear (&s);
}

/* Rebuilds @bpp with the element at @path changed by @edit (a tiny tree
 * surgery on the DER): path = index of the BF36 child, then of its element. */
static GBytes *
with_element (GBytes *bpp, guint child, gint element, GBytes *(*edit) (const EsimTlv *tlv))
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv top, part, item;
	EsimTlvIter parts, items;
	guint i = 0;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), &top, NULL));
	esim_der_writer_begin (writer, top.tag);
	esim_tlv_iter_init (&parts, &top);
	while (esim_tlv_iter_next (&parts, &part, NULL)) {
		guint j = 0;

		if (i++ != child) {
			esim_der_writer_put_raw (writer, part.raw, part.raw_len);
			continue;
		}
		if (element < 0) {
			g_autoptr(GBytes) changed = edit (&part);

			if (changed != NULL)
				esim_der_writer_put_raw (writer, g_bytes_get_data (changed, NULL), g_bytes_get_size (changed));
			continue;
		}
		esim_der_writer_begin (writer, part.tag);
		esim_tlv_iter_init (&items, &part);
		while (esim_tlv_iter_next (&items, &item, NULL)) {
			if ((gint) j++ == element) {
				g_autoptr(GBytes) changed = edit (&item);

				if (changed != NULL)
					esim_der_writer_put_raw (writer, g_bytes_get_data (changed, NULL), g_bytes_get_size (changed));
			} else {
				esim_der_writer_put_raw (writer, item.raw, item.raw_len);
			}
		}
		esim_der_writer_end (writer);
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static GBytes *
flip_last (const EsimTlv *tlv)
{
	g_autofree guint8 *copy = g_memdup2 (tlv->raw, tlv->raw_len);

	copy[tlv->raw_len - 1] ^= 0x01;
	return g_bytes_new (copy, tlv->raw_len);
}

static GBytes *
drop (const EsimTlv *tlv)
{
	return NULL;
}

static void
assert_refused (Session *s, GBytes *bpp, gint code, EsimBppCommand command, EsimBppReason reason)
{
	GError *error = NULL;
	EsimBppCommand failed = 99;
	EsimBspKeys keys;
	EsimBppPlain *plain;

	card_keys (s, s->iscr, &keys);
	plain = esim_bpp_open (&keys, g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp), &failed, &error);
	g_assert_null (plain);
	g_assert_error (error, ESIM_CRYPTO_ERROR, code);
	g_assert_cmpint (failed, ==, command);
	g_assert_cmpint (esim_bpp_error_reason (error), ==, reason);
	g_test_message ("refused as expected: %s", error->message);
	g_clear_error (&error);
}

static void
test_refusals (void)
{
	Session s;
	EsimBspKeys ppk;
	g_autoptr(GPtrArray) ppp = NULL;
	g_autoptr(GBytes) plain = NULL;
	g_autoptr(GBytes) advance = NULL;

	session_init (&s);
	memset (&ppk, 0x5A, sizeof (ppk));
	ppp = esim_bpp_protect_profile (&ppk, g_bytes_get_data (s.upp, NULL), g_bytes_get_size (s.upp), NULL);
	plain = build (&s, NULL, NULL);
	advance = build (&s, &ppk, ppp);

	/* a changed MAC in each part: the command that failed and scp03tSecurityError */
	{
		const struct { GBytes *bpp; guint child; EsimBppCommand command; } cases[] = {
			{ plain, 1, ESIM_BPP_COMMAND_CONFIGURE_ISDP },
			{ plain, 2, ESIM_BPP_COMMAND_STORE_METADATA },
			{ advance, 3, ESIM_BPP_COMMAND_REPLACE_SESSION_KEYS },
			{ plain, 3, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS },
			{ advance, 4, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS },
		};

		for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
			g_autoptr(GBytes) bad = with_element (cases[i].bpp, cases[i].child, 0, flip_last);

			assert_refused (&s, bad, ESIM_CRYPTO_ERROR_BAD_MAC, cases[i].command,
			                ESIM_BPP_REASON_SCP03T_SECURITY_ERROR);
		}
	}
	/* a missing 86 segment (the second): the third no longer chains */
	{
		g_autoptr(GBytes) bad = with_element (plain, 3, 1, drop);

		assert_refused (&s, bad, ESIM_CRYPTO_ERROR_BAD_MAC, ESIM_BPP_COMMAND_LOAD_PROFILE_ELEMENTS,
		                ESIM_BPP_REASON_SCP03T_SECURITY_ERROR);
	}
	/* the package of another session: the keys differ */
	{
		Session other;

		session_init (&other);
		assert_refused (&other, plain, ESIM_CRYPTO_ERROR_BAD_MAC, ESIM_BPP_COMMAND_CONFIGURE_ISDP,
		                ESIM_BPP_REASON_SCP03T_SECURITY_ERROR);
		session_clear (&other);
	}
	/* structure: A1 missing, A3 missing, data after A3, empty A0, an 88 in A0 */
	{
		g_autoptr(GBytes) no_a1 = with_element (plain, 2, -1, drop);
		g_autoptr(GBytes) no_a3 = with_element (plain, 3, -1, drop);
		g_autoptr(GBytes) empty_a0 = with_element (plain, 1, 0, drop);
		GByteArray *trailing = g_byte_array_new ();
		g_autoptr(GBytes) trailing_bytes = NULL;

		assert_refused (&s, no_a1, ESIM_CRYPTO_ERROR_INVALID_INPUT, ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL,
		                ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR);
		assert_refused (&s, no_a3, ESIM_CRYPTO_ERROR_INVALID_INPUT, ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL,
		                ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR);
		assert_refused (&s, empty_a0, ESIM_CRYPTO_ERROR_INVALID_INPUT, ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL,
		                ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR);
		g_byte_array_append (trailing, g_bytes_get_data (plain, NULL), (guint) g_bytes_get_size (plain));
		g_byte_array_append (trailing, (const guint8 *) "\x00", 1);
		trailing_bytes = g_byte_array_free_to_bytes (trailing);
		assert_refused (&s, trailing_bytes, ESIM_CRYPTO_ERROR_INVALID_INPUT,
		                ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL, ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR);
	}
	/* a ConfigureISDP segment whose plaintext is not BF24 */
	{
		EsimBppContent content = {
			.init_secure_channel = s.iscr, .store_metadata = s.store_metadata, .upp = s.upp,
		};
		g_autoptr(GBytes) wrong = hex ("BF2500");
		g_autoptr(GBytes) bpp = NULL;

		content.configure_isdp = wrong;
		bpp = esim_bpp_build (&s.dp_keys, &content, NULL);
		assert_refused (&s, bpp, ESIM_CRYPTO_ERROR_INVALID_INPUT, ESIM_BPP_COMMAND_CONFIGURE_ISDP,
		                ESIM_BPP_REASON_SCP03T_STRUCTURE_ERROR);
	}
	/* the builder wants a profile or a protected one, not both or neither */
	{
		EsimBppContent content = {
			.init_secure_channel = s.iscr, .configure_isdp = s.configure_isdp,
			.store_metadata = s.store_metadata,
		};
		GError *error = NULL;

		g_assert_null (esim_bpp_build (&s.dp_keys, &content, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
		content.upp = s.upp;
		content.ppp = ppp;
		content.ppk = &ppk;
		g_assert_null (esim_bpp_build (&s.dp_keys, &content, &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
	}
	session_clear (&s);
}

#define ZEROS_32 "0000000000000000000000000000000000000000000000000000000000000000"
#define ZEROS_64 ZEROS_32 ZEROS_32

static void
test_init_secure_channel (void)
{
	Session s;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitSecureChannel) iscr = NULL;
	g_autoptr(GBytes) signed_data = NULL;
	g_autoptr(EsimEckaKey) stranger = NULL;
	const gchar *bad[] = {
		/* remoteOpId missing */
		"BF230680010104010A",
		/* hostId of 17 bytes */
		"BF2321820101800101A61980018881011084110000000000000000000000000000000000",
		/* keyType of 2 bytes */
		"BF2312820101800101A60A80028800810110840100",
		/* smdpOtpk of 64 bytes */
		"BF238199820101800101A60B80018881011084030102035F4940" ZEROS_64 "5F3740" ZEROS_64,
		/* an element after smdpSign */
		"BF23819C820101800101A60B80018881011084030102035F494104" ZEROS_64 "5F3740" ZEROS_64 "9000",
		/* not BF23 */
		"BF2400",
	};

	session_init (&s);
	iscr = esim_init_secure_channel_parse (g_bytes_get_data (s.iscr, NULL), g_bytes_get_size (s.iscr), &error);
	g_assert_no_error (error);
	/* the signed part is BF23's content up to 5F37 (3 + 64 bytes, last) */
	{
		EsimTlv top;

		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (s.iscr, NULL), g_bytes_get_size (s.iscr), &top, NULL));
		g_assert_cmpmem (g_bytes_get_data (iscr->signed_part, NULL), g_bytes_get_size (iscr->signed_part),
		                 top.value, top.len - 67);
	}
	/* signed over another eUICC's one-time key: the card refuses */
	stranger = esim_ecka_key_generate (NULL);
	signed_data = esim_init_secure_channel_signed_data (iscr, esim_ecka_key_get_public (stranger));
	g_assert_false (esim_cert_verify_signature (s.dp_pb_cert, g_bytes_get_data (signed_data, NULL),
	                                            g_bytes_get_size (signed_data), iscr->smdp_signature, 64, &error));
	g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_BAD_SIGNATURE);
	g_assert_cmpint (esim_bpp_error_reason (error), ==, ESIM_BPP_REASON_INVALID_SIGNATURE);
	g_clear_error (&error);

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) der = hex (bad[i]);

		g_assert_null (esim_init_secure_channel_parse (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &error));
		g_assert_error (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_INVALID_INPUT);
		g_clear_error (&error);
	}
	/* an ISCR whose CRT asks for something else: parsed, refused by the KDF */
	{
		guint8 z[32] = { 1 }, eid[16] = { 0 };
		EsimBspKeys keys;

		g_assert_false (esim_bsp_derive_keys (z, 32, 0x80, 16, HOST_ID, 4, eid, &keys, &error));
		g_assert_cmpint (esim_bpp_error_reason (error), ==, ESIM_BPP_REASON_UNSUPPORTED_CRT_VALUES);
		g_clear_error (&error);
	}
	session_clear (&s);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/crypto/bpp/round-trip", test_round_trip);
	g_test_add_func ("/crypto/bpp/protected-in-advance", test_protected_in_advance);
	g_test_add_func ("/crypto/bpp/refusals", test_refusals);
	g_test_add_func ("/crypto/bpp/init-secure-channel", test_init_secure_channel);
	return g_test_run ();
}
