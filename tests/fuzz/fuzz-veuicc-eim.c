/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: what an eIM (and an IPA) send the software eUICC's IoT
 * side.  A fresh card with one eIM, whose key this target holds, so that
 * mutations get past the eimSignature into the PSMOs and eCOs behind it.
 *
 * Input: records, each a kind byte, a 2-byte big-endian length, the bytes:
 *   kind % 4 == 0  an ES10 request as it is (LoadEuiccPackage unsigned or
 *                  damaged, ProfileRollback, ImmediateEnable, BF59, BF2B, BF30…)
 *   kind % 4 == 1  the contents of a psmoList, signed into a package here
 *   kind % 4 == 2  the contents of an ecoList, likewise
 *   kind % 4 == 3  a card reset
 * In a signed package, bit 0x80 of the kind reuses the last counterValue (a
 * replay) and bit 0x40 puts another card's EID in it.  Every answer must be a
 * status word, or one whole TLV with 9000; never a crash.
 */

#include <stdlib.h>
#include <string.h>
#include <gnutls/abstract.h>

#include "esim-ecdsa.h"
#include "esim-util.h"
#include "esim-veuicc-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

#define EIM_ID "fuzz.eim"

static gnutls_privkey_t eim_key;
static GBytes *add_initial_eim;  /* BF57 { A0 { 30 { 80, 84 FF, A5 { A0 SPKI } } } } */

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

static void
init (void)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t spki = { NULL, 0 };
	EsimTlv tlv;

	/* the card logs every refusal the fuzzer provokes */
	g_log_set_default_handler (quiet_log, NULL);
	if (gnutls_privkey_init (&eim_key) < 0 ||
	    gnutls_privkey_generate (eim_key, GNUTLS_PK_ECDSA,
	                             GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_pubkey_init (&pub) < 0 || gnutls_pubkey_import_privkey (pub, eim_key, 0, 0) < 0 ||
	    gnutls_pubkey_export2 (pub, GNUTLS_X509_FMT_DER, &spki) < 0 ||
	    !esim_tlv_parse_exact (spki.data, spki.size, &tlv, NULL))
		abort ();
	esim_der_writer_begin (writer, ESIM_TAG_ADD_INITIAL_EIM);
	esim_der_writer_begin (writer, ESIM_TAG_EIM_CONFIG_LIST);
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_utf8 (writer, ESIM_TAG_EIM_ID, EIM_ID);
	esim_der_writer_put_int (writer, ESIM_TAG_EIM_ASSOCIATION_TOKEN, -1);
	esim_der_writer_begin (writer, ESIM_TAG_EIM_PUBLIC_KEY_DATA);
	esim_der_writer_put (writer, ESIM_TAG_EIM_KEY_SPKI, tlv.value, tlv.len);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	add_initial_eim = esim_der_writer_finish (writer);
	gnutls_free (spki.data);
	gnutls_pubkey_deinit (pub);
}

static void
dispatch (EsimVeuicc *card, const guint8 *request, gsize len)
{
	g_autoptr(GBytes) response = NULL;
	guint16 sw = 0;
	EsimTlv tlv;

	response = veuicc_es10_dispatch (card, request, len, &sw);
	if (sw == ESIM_SW_OK) {
		if (response == NULL)
			__builtin_trap ();
		if (g_bytes_get_size (response) > 0 &&
		    !esim_tlv_parse_exact (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
		                           &tlv, NULL))
			__builtin_trap ();
	} else if (response != NULL || (sw >> 12) != 6) {
		__builtin_trap ();
	}
}

/* BF51 { 30 { 80, 5A, 81, @list { @ops } }, 5F37 } signed with the eIM's key and token 1 */
static GBytes *
signed_package (const guint8 eid[ESIM_EID_LENGTH], gint64 counter, EsimTag list, const guint8 *ops,
                gsize len)
{
	g_autoptr(EsimDerWriter) signed_writer = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) input = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) signed_part = NULL;
	g_autoptr(GBytes) tbs = NULL;
	guint8 signature[ESIM_ECDSA_RAW_LEN];

	esim_der_writer_begin (signed_writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_utf8 (signed_writer, ESIM_TAG_EUICC_PACKAGE_EIM_ID, EIM_ID);
	esim_der_writer_put (signed_writer, ESIM_TAG_EID, eid, ESIM_EID_LENGTH);
	esim_der_writer_put_int (signed_writer, ESIM_TAG_EUICC_PACKAGE_COUNTER, counter);
	esim_der_writer_begin (signed_writer, list);
	esim_der_writer_put_raw (signed_writer, ops, len);
	esim_der_writer_end (signed_writer);
	esim_der_writer_end (signed_writer);
	signed_part = esim_der_writer_finish (signed_writer);
	esim_der_writer_put_raw (input, g_bytes_get_data (signed_part, NULL), g_bytes_get_size (signed_part));
	esim_der_writer_put_int (input, ESIM_TAG_EIM_ASSOCIATION_TOKEN, 1);
	tbs = esim_der_writer_finish (input);
	if (!esim_ecdsa_sign (eim_key, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs), signature,
	                      NULL))
		abort ();
	esim_der_writer_begin (writer, ESIM_TAG_LOAD_EUICC_PACKAGE);
	esim_der_writer_put_raw (writer, g_bytes_get_data (signed_part, NULL), g_bytes_get_size (signed_part));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, sizeof (signature));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(EsimVeuicc) card = NULL;
	guint8 eid[ESIM_EID_LENGTH];
	gint64 counter = 0;

	if (add_initial_eim == NULL)
		init ();
	card = esim_veuicc_new_ephemeral ();
	if (card == NULL || !esim_eid_to_bytes (esim_veuicc_get_eid (card), eid, NULL))
		abort ();
	dispatch (card, g_bytes_get_data (add_initial_eim, NULL), g_bytes_get_size (add_initial_eim));

	while (size >= 3) {
		guint8 kind = data[0];
		gsize len = MIN ((gsize) (data[1] << 8 | data[2]), size - 3);
		const guint8 *record = data + 3;

		data += 3 + len;
		size -= 3 + len;
		switch (kind % 4) {
		case 0:
			dispatch (card, record, len);
			break;
		case 1:
		case 2: {
			guint8 target[ESIM_EID_LENGTH];
			g_autoptr(GBytes) package = NULL;

			memcpy (target, eid, sizeof (target));
			if (kind & 0x40)
				target[15] ^= 0x5A;
			if (!(kind & 0x80))
				counter++;
			package = signed_package (target, counter,
			                          kind % 4 == 1 ? ESIM_TAG_EUICC_PACKAGE_PSMO_LIST
			                                        : ESIM_TAG_EUICC_PACKAGE_ECO_LIST,
			                          record, len);
			dispatch (card, g_bytes_get_data (package, NULL), g_bytes_get_size (package));
			break;
		}
		default:
			esim_veuicc_reset (card);
			break;
		}
	}
	return 0;
}
