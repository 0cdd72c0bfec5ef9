/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what reaches esimd's HTTPS inject listener from the
 * network: a TransferEimPackageRequest body, the first byte choosing the
 * binding ('J': JSON, anything else: ASN.1).  Contract: a package that is one
 * of the four a push may carry, with its whole TLV, or an ESipa error (a
 * G_IO_ERROR only for a body over the size limit).  Seeds in
 * tests/fuzz/corpus/inject/.
 */

#include "esimd-inject.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_raw (GBytes *raw, EsimTag tag)
{
	EsimTlv tlv;

	g_assert_nonnull (raw);
	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), &tlv, NULL));
	g_assert_cmpuint (tlv.tag, ==, tag);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	EsimdInjectBinding binding;
	EsimEimPackage *package;
	GError *error = NULL;

	if (size == 0)
		return 0;
	binding = data[0] == 'J' ? ESIMD_INJECT_BINDING_JSON : ESIMD_INJECT_BINDING_ASN1;
	package = esimd_inject_parse_body (binding, data + 1, size - 1, 0, &error);
	if (package == NULL) {
		g_assert_nonnull (error);
		g_assert_true (error->domain == ESIM_ESIPA_ERROR ||
		               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE));
		g_error_free (error);
		return 0;
	}
	g_assert_null (error);
	switch (package->kind) {
	case ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST:
		check_raw (package->euicc_package_request->raw, ESIM_TAG_LOAD_EUICC_PACKAGE);
		g_assert_nonnull (package->euicc_package_request->eim_id);
		break;
	case ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST:
		check_raw (package->ipa_euicc_data_request->raw, ESIM_TAG_IPA_EUICC_DATA_REQUEST);
		break;
	case ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER:
		check_raw (package->profile_download_trigger->raw, ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER);
		break;
	case ESIM_EIM_PACKAGE_ACKNOWLEDGEMENTS:
		g_assert_nonnull (package->acknowledgements);
		break;
	case ESIM_EIM_PACKAGE_ERROR:
	default:
		g_assert_not_reached ();
	}
	esim_eim_package_free (package);
	return 0;
}
