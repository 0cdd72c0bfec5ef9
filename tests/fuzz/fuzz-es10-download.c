/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the ES10b download decoders: what the card answers
 * (GetEuiccChallenge, AuthenticateServer, PrepareDownload, the
 * ProfileInstallationResult, CancelSession) and what an SM-DP+ hands us to
 * pass on (ServerSigned1, SmdpSigned2, StoreMetadataRequest, the bound
 * profile package to segment, the TLVs the request encoders check).
 *
 * Every decoder gets the same bytes.  The contract: a result or an error,
 * never both or neither; an error message names the function ("Name: …");
 * segments of a package are slices that tile it exactly.
 */

#include <string.h>

#include "esim-es10-download.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static void
check_outcome (gboolean ok, GError *error)
{
	if (ok) {
		if (error != NULL)
			__builtin_trap ();
		return;
	}
	if (error == NULL || strstr (error->message, ": ") == NULL)
		__builtin_trap ();
	g_error_free (error);
}

/* The segments are slices of @bpp that, laid end to end, tile it exactly:
 * each starts where the one before ended, the last ends with the package. */
static void
check_segments (GBytes *bpp, GPtrArray *segments)
{
	gsize len = 0;
	const guint8 *base = g_bytes_get_data (bpp, &len);
	const guint8 *previous_end = base;

	if (segments->len == 0 || segments->len > ESIM_BPP_MAX_SEGMENTS)
		__builtin_trap ();
	for (guint i = 0; i < segments->len; i++) {
		gsize seg_len = 0;
		const guint8 *seg = g_bytes_get_data (g_ptr_array_index (segments, i), &seg_len);

		if (seg_len == 0 || seg != previous_end || seg + seg_len > base + len)
			__builtin_trap ();
		previous_end = seg + seg_len;
	}
	if (previous_end != base + len)
		__builtin_trap ();
	if (esim_es10_store_data_minimum (segments) < segments->len)
		__builtin_trap ();
}

static void
fuzz_card_answers (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(GBytes) challenge = NULL;
	g_autoptr(GBytes) auth_error = NULL;
	g_autoptr(GBytes) prepare_error = NULL;
	g_autoptr(EsimAuthenticateServerOk) auth = NULL;
	g_autoptr(EsimPrepareDownloadOk) prepare = NULL;
	g_autoptr(EsimProfileInstallationResult) pir = NULL;
	g_autoptr(EsimCancelSessionOk) cancel = NULL;

	challenge = esim_es10_parse_get_euicc_challenge (input, &error);
	check_outcome (challenge != NULL, error);
	if (challenge != NULL && g_bytes_get_size (challenge) != ESIM_EUICC_CHALLENGE_LENGTH)
		__builtin_trap ();

	error = NULL;
	auth = esim_es10_parse_authenticate_server (input, &auth_error, &error);
	check_outcome (auth != NULL, error);
	if (auth != NULL && (auth_error != NULL || !g_bytes_equal (auth->raw, input)))
		__builtin_trap ();
	if (auth_error != NULL && !g_bytes_equal (auth_error, input))
		__builtin_trap ();

	error = NULL;
	prepare = esim_es10_parse_prepare_download (input, &prepare_error, &error);
	check_outcome (prepare != NULL, error);
	if (prepare != NULL && (prepare_error != NULL || !g_bytes_equal (prepare->raw, input)))
		__builtin_trap ();

	error = NULL;
	pir = esim_es10_parse_profile_installation_result (input, &error);
	check_outcome (pir != NULL, error);
	if (pir != NULL) {
		GError *check_error = NULL;
		gboolean ok = esim_profile_installation_result_check (pir, &check_error);

		if (ok != pir->success || !g_bytes_equal (pir->raw, input))
			__builtin_trap ();
		check_outcome (ok, check_error);
		(void) esim_install_error_reason_to_string (pir->error_reason);
		(void) esim_bpp_command_id_to_string (pir->bpp_command_id);
	}

	error = NULL;
	cancel = esim_es10_parse_cancel_session (input, &error);
	check_outcome (cancel != NULL, error);
}

static void
fuzz_server_structures (GBytes *input)
{
	GError *error = NULL;
	g_autoptr(EsimServerSigned1) signed1 = NULL;
	g_autoptr(EsimSmdpSigned2) signed2 = NULL;
	g_autoptr(EsimProfileMetadata) metadata = NULL;
	g_autoptr(GPtrArray) segments = NULL;

	signed1 = esim_es10_parse_server_signed1 (input, &error);
	check_outcome (signed1 != NULL, error);

	error = NULL;
	signed2 = esim_es10_parse_smdp_signed2 (input, &error);
	check_outcome (signed2 != NULL, error);

	error = NULL;
	metadata = esim_es10_parse_profile_metadata (input, &error);
	check_outcome (metadata != NULL, error);

	error = NULL;
	segments = esim_es10_segment_bound_profile_package (input, &error);
	check_outcome (segments != NULL, error);
	if (segments != NULL)
		check_segments (input, segments);
}

/* The request encoders check the server's TLVs before they reach the card. */
static void
fuzz_request_encoders (GBytes *input)
{
	g_autoptr(GBytes) sequence = g_bytes_new_static ("\x30\x00", 2);
	g_autoptr(GBytes) signature = g_bytes_new_static ("\x5F\x37\x01\x00", 4);
	g_autoptr(GBytes) pkid = g_bytes_new_static ("\x04\x01\x00", 3);
	g_autoptr(GBytes) auth_request = NULL;
	g_autoptr(GBytes) prepare_request = NULL;
	EsimAuthenticateServerInput auth = {
		.server_signed1 = input,
		.server_signature1 = signature,
		.euicc_ci_pkid_to_be_used = pkid,
		.server_certificate = sequence,
		.matching_id = "",
	};
	EsimPrepareDownloadInput prepare = {
		.smdp_signed2 = input,
		.smdp_signature2 = signature,
		.smdp_certificate = sequence,
	};
	GError *error = NULL;

	auth_request = esim_es10_encode_authenticate_server (&auth, &error);
	check_outcome (auth_request != NULL, error);
	error = NULL;
	prepare_request = esim_es10_encode_prepare_download (&prepare, &error);
	check_outcome (prepare_request != NULL, error);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	g_autoptr(GBytes) input = g_bytes_new (data, size);

	fuzz_card_answers (input);
	fuzz_server_structures (input);
	fuzz_request_encoders (input);
	return 0;
}
