/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The download flow (src/flows/esim-download.h), every branch: the real
 * software eUICC (credentials of a test PKI) over the virtual channel, and a
 * scripted RSP server in front of the in-process test SM-DP+ (fake-rsp-server.h),
 * so that signatures, session keys and packages are real and a test only
 * scripts what goes wrong.  Each failure is checked where the flow stopped, for
 * the cancel it owed (the reason the card signed, as the SM-DP+ recorded it)
 * and for nothing installed.
 */

#include <glib/gstdio.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-der.h"
#include "esim-download.h"
#include "esim-es9p.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"
#include "fake-rsp-server.h"

#define HOST            "smdp.test"
#define ICCID_ON_CARD   "8944476500000000013"   /* a demo profile of every software eUICC */
#define OTHER_ICCID     "8949000000000000019"
/* 35 209900 176148 1: a TAC of the GSMA test range, Luhn check digit 1 */
#define TEST_IMEI       "352099001761481"

static gchar *pki_dir;

typedef struct {
	EsimVeuicc         *card;
	EsimChannelVirtual *channel;
	EsimIsdr           *isdr;
	EsimTestSmdp       *smdp;
	FakeRspServer      *server;
	GCancellable       *cancellable;
	/* the run */
	GAsyncResult       *res;
	GString            *steps;         /* step names as reported, without repeats */
	guint               last_percent;
	gboolean            percent_went_back;
	gboolean            cancel_at_load;
} Fixture;

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **result = user_data;

	*result = g_object_ref (res);
}

static void
fixture_open_card (Fixture *f, EsimVeuicc *card)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	f->card = card;
	f->channel = esim_channel_virtual_new (f->card);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
	esim_isdr_open_async (f->isdr, NULL, store_result, &res);
	esim_test_wait_until (res != NULL, "the ISD-R to open");
	g_assert_true (esim_isdr_open_finish (f->isdr, res, &error));
}

static void
fixture_set_up_card (Fixture *f, guint max_profiles)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = HOST };
	EsimVeuiccOptions card_options = { .credentials_dir = pki_dir, .max_profiles = max_profiles };
	g_autoptr(GError) error = NULL;
	EsimVeuicc *card;

	f->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	f->server = fake_rsp_server_new (f->smdp);
	f->cancellable = g_cancellable_new ();
	f->steps = g_string_new (NULL);
	card = esim_veuicc_new_ephemeral_full (&card_options, &error);
	g_assert_no_error (error);
	if (card != NULL)
		fixture_open_card (f, card);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	fixture_set_up_card (f, 0);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	g_clear_object (&f->res);
	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	g_clear_object (&f->card);
	g_clear_object (&f->server);
	g_clear_object (&f->smdp);
	g_clear_object (&f->cancellable);
	g_string_free (f->steps, TRUE);
}

static void
add_order (Fixture *f, const EsimTestSmdpOrder *order)
{
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_test_smdp_add_order (f->smdp, order, &error));
	g_assert_no_error (error);
}

static void
on_progress (EsimDownloadStep step, guint percent, gpointer user_data)
{
	Fixture *f = user_data;
	const gchar *name = esim_download_step_to_string (step);
	const gchar *last = strrchr (f->steps->str, ',');

	if (g_strcmp0 (last != NULL ? last + 1 : f->steps->str, name) != 0)
		g_string_append_printf (f->steps, "%s%s", f->steps->len > 0 ? "," : "", name);
	if (percent < f->last_percent)
		f->percent_went_back = TRUE;
	f->last_percent = percent;
	g_assert_cmpuint (percent, <, 100);
	if (f->cancel_at_load && step == ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE)
		g_cancellable_cancel (f->cancellable);
}

static void
start (Fixture *f, const EsimDownloadParams *params)
{
	EsimDownloadParams defaults = { .smdp_address = HOST };

	if (params == NULL)
		params = &defaults;
	g_clear_object (&f->res);
	esim_download_async (f->isdr, ESIM_RSP_SERVER (f->server), params, on_progress, f,
	                     f->cancellable, store_result, &f->res);
}

static EsimDownloadResult *
finish (Fixture *f, EsimDownloadFailure *failure, GError **error)
{
	esim_test_wait_until (f->res != NULL, "the download to end");
	return esim_download_finish (f->res, failure, error);
}

static EsimDownloadResult *
run (Fixture *f, const EsimDownloadParams *params, EsimDownloadFailure *failure, GError **error)
{
	start (f, params);
	return finish (f, failure, error);
}

static guint
n_profiles (Fixture *f)
{
	return esim_veuicc_get_n_profiles (f->card);
}

/* The SM-DP+ recorded one cancelSession, with @reason signed by the card. */
static void
assert_server_cancelled (Fixture *f, gint reason)
{
	GPtrArray *cancelled = esim_test_smdp_get_cancelled (f->smdp);
	EsimTestSmdpCancelled *record;

	g_assert_cmpuint (cancelled->len, ==, 1);
	record = g_ptr_array_index (cancelled, 0);
	g_assert_true (record->verified);
	g_assert_cmpint (record->reason, ==, reason);
}

/* A failure at @step with the cancel of both sides for @reason. */
static void
assert_cancelled (Fixture *f, const EsimDownloadFailure *failure, EsimDownloadStep step,
                  EsimCancelSessionReason reason)
{
	g_assert_cmpint (failure->step, ==, step);
	g_assert_cmpint (failure->cancel_reason, ==, reason);
	g_assert_true (failure->card_cancelled);
	g_assert_true (failure->server_told);
	assert_server_cancelled (f, reason);
	g_assert_true (g_str_has_suffix (fake_rsp_server_get_calls (f->server), ",cancelSession"));
	g_assert_nonnull (fake_rsp_server_get_last_cancel_response (f->server));
	g_assert_true (g_str_has_suffix (f->steps->str, ",cancel-session"));
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

/* A failure at @step before any session: nothing to cancel. */
static void
assert_not_cancelled (Fixture *f, const EsimDownloadFailure *failure, EsimDownloadStep step)
{
	g_assert_cmpint (failure->step, ==, step);
	g_assert_cmpint (failure->cancel_reason, ==, -1);
	g_assert_false (failure->card_cancelled);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (f->smdp)->len, ==, 0);
	g_assert_null (strstr (fake_rsp_server_get_calls (f->server), "cancelSession"));
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

/* ---- success ---- */

static gboolean
bytes_contain (GBytes *haystack, const guint8 *needle, gsize len)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data (haystack, &size);

	for (gsize i = 0; len <= size && i <= size - len; i++) {
		if (memcmp (data + i, needle, len) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
test_success (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-1", .profile_name = "Flow profile" };
	EsimDeviceInfo device;
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-1",
	                              .device_info = &device };
	/* the IMEI as SGP.22 §4.2 codes it: TBCD, check digit in the high nibble of the last
	 * octet (AOSP EuiccPort.getDeviceId) */
	static const guint8 imei_tbcd[] = { 0x53, 0x02, 0x99, 0x00, 0x71, 0x16, 0x84, 0x1F };
	const gchar *const installed[] = { ICCID_ON_CARD, NULL };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	esim_device_info_init (&device);
	device.imei = TEST_IMEI;
	params.installed_iccids = installed;
	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_no_error (error);
	g_assert_nonnull (result);
	g_assert_cmpint (failure.step, ==, ESIM_DOWNLOAD_STEP_NONE);
	g_assert_cmpstr (result->iccid, ==, esim_test_smdp_get_order_iccid (f->smdp, "MID-1"));
	g_assert_cmpstr (result->metadata->name, ==, "Flow profile");
	g_assert_nonnull (result->isdp_aid);
	g_assert_true (esim_transaction_id_is_valid (result->transaction_id));
	g_assert_cmpuint (result->n_segments, >, 4);
	g_assert_cmpuint (result->store_data_minimum, >=, result->n_segments);
	g_assert_cmpuint (n_profiles (f), ==, 3);
	/* the install notification stays on the card for the notification flow */
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, 1);
	g_assert_cmpuint (esim_test_smdp_get_notifications (f->smdp)->len, ==, 0);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-1"), ==,
	                 ESIM_TEST_SMDP_ORDER_DOWNLOADED);
	g_assert_cmpstr (fake_rsp_server_get_calls (f->server), ==,
	                 "initiateAuthentication,authenticateClient,getBoundProfilePackage");
	/* ctxParams1 reached the server inside what the card signed */
	g_assert_true (bytes_contain (fake_rsp_server_get_last_authenticate_server_response (f->server),
	                              (const guint8 *) "MID-1", 5));
	g_assert_true (bytes_contain (fake_rsp_server_get_last_authenticate_server_response (f->server),
	                              imei_tbcd, sizeof (imei_tbcd)));
	g_assert_cmpstr (esim_test_smdp_get_device_imei (f->smdp), ==, TEST_IMEI);
	g_assert_cmpstr (esim_test_smdp_get_device_tac (f->smdp), ==, "35209900");
	g_assert_cmpstr (f->steps->str, ==,
	                 "get-euicc-challenge,get-euicc-info,initiate-authentication,"
	                 "authenticate-server,authenticate-client,check-profile,prepare-download,"
	                 "get-bound-profile-package,load-bound-profile-package");
	g_assert_false (f->percent_went_back);
	g_assert_cmpuint (f->last_percent, ==, 95);
}

static void
test_confirmation_code (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-CC",
	                              .confirmation_code = "4711" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;

	add_order (f, &order);
	result = run (f, &params, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (n_profiles (f), ==, 3);
}

static void
test_protected_in_advance (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-PPP", .protect_in_advance = TRUE,
	                            .profile_size = 12000 };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-PPP" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;

	add_order (f, &order);
	result = run (f, &params, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (n_profiles (f), ==, 3);
}

/* A cancel once the package goes to the card is too late: the load runs to its end. */
static void
test_cancel_during_load (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-L" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-L" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;

	add_order (f, &order);
	f->cancel_at_load = TRUE;
	result = run (f, &params, NULL, &error);
	g_assert_no_error (error);
	g_assert_true (g_cancellable_is_cancelled (f->cancellable));
	g_assert_cmpuint (n_profiles (f), ==, 3);
	g_assert_cmpuint (esim_test_smdp_get_cancelled (f->smdp)->len, ==, 0);
}

/* ---- before a session ---- */

static void
test_initiate_fails (Fixture *f, gconstpointer data)
{
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-X" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	fake_rsp_server_fail (f->server, "initiateAuthentication",
	                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND,
	                                           "cannot find the SM-DP+ smdp.test"), FALSE);
	result = run (f, &params, &failure, &error);
	g_assert_null (result);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND);
	g_assert_cmpstr (error->message, ==,
	                 "cannot find the SM-DP+ smdp.test (ES9+ initiateAuthentication)");
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION);
	g_assert_false (failure.server_told);
	g_assert_cmpstr (fake_rsp_server_get_calls (f->server), ==, "initiateAuthentication");
}

/* serverSigned1 names another server than the one the activation code names. */
static void
test_wrong_server_address (Fixture *f, gconstpointer data)
{
	EsimDownloadParams params = { .smdp_address = "other.test", .matching_id = "MID-X" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	/* the server is called as the one it is, and signs its own name */
	fake_rsp_server_set_address (f->server, HOST);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT);
	g_assert_nonnull (strstr (error->message, "smdp.test"));
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_AUTHENTICATE_SERVER);
	g_assert_cmpstr (fake_rsp_server_get_calls (f->server), ==, "initiateAuthentication");
}

static void
mutate_initiate_transaction (const gchar *function, gpointer answer, gpointer user_data)
{
	if (g_str_equal (function, "initiateAuthentication")) {
		EsimInitiateAuthenticationOk *ok = answer;

		g_free (ok->transaction_id);
		ok->transaction_id = g_strdup ("00112233");
	}
}

static void
test_initiate_transaction_mismatch (Fixture *f, gconstpointer data)
{
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-X" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	fake_rsp_server_set_mutate (f->server, mutate_initiate_transaction, NULL);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT);
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_AUTHENTICATE_SERVER);
}

/* An eIM that generates ctxParams1 (SGP.32 ipaFeatures eimCtxParams1Generation)
 * hands them over in InitiateAuthenticationOkEsipa: they reach the card as
 * they came, in place of the flow's own (whose matching ID is wrong here). */
static void
mutate_ctx_params1 (const gchar *function, gpointer answer, gpointer user_data)
{
	if (g_str_equal (function, "initiateAuthentication")) {
		EsimInitiateAuthenticationOk *ok = answer;
		g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
		g_autoptr(GBytes) device_info = NULL;
		EsimDeviceInfo info;

		esim_device_info_init (&info);
		device_info = esim_device_info_encode (&info, 0xA1, NULL);
		g_assert_nonnull (device_info);
		/* ctxParamsForCommonAuthentication [0] { matchingId [0], deviceInfo [1] } */
		esim_der_writer_begin (writer, 0xA0);
		esim_der_writer_put_utf8 (writer, 0x80, user_data);
		esim_der_writer_put_raw (writer, g_bytes_get_data (device_info, NULL), g_bytes_get_size (device_info));
		esim_der_writer_end (writer);
		g_clear_pointer (&ok->ctx_params1, g_bytes_unref);
		ok->ctx_params1 = esim_der_writer_finish (writer);
	}
}

static void
test_eim_ctx_params1 (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CTX" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-WRONG" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GBytes) installation = NULL;
	g_autoptr(GBytes) error_response = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_set_mutate (f->server, mutate_ctx_params1, (gpointer) "MID-CTX");
	result = run (f, &params, &failure, &error);
	g_assert_no_error (error);
	g_assert_nonnull (result);
	/* what the card signed, for a ProfileDownloadTriggerResult */
	installation = esim_download_get_installation_result (f->res);
	g_assert_nonnull (installation);
	g_assert_cmphex (((const guint8 *) g_bytes_get_data (installation, NULL))[1], ==, 0x37);
	error_response = esim_download_get_error_response (f->res);
	g_assert_null (error_response);
}

/* The card refuses the server: it has no session; the server hears of it in
 * authenticateClient. */
static void
check_card_refuses_server (Fixture *f, guint fault, gint code)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-R" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-R" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	esim_test_smdp_set_faults (f->smdp, fault);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES10_ERROR, code);
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_AUTHENTICATE_SERVER);
	g_assert_true (failure.server_told);
	g_assert_cmpstr (fake_rsp_server_get_calls (f->server), ==,
	                 "initiateAuthentication,authenticateClient");
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-R"), ==,
	                 ESIM_TEST_SMDP_ORDER_RELEASED);
}

static void
test_foreign_ci (Fixture *f, gconstpointer data)
{
	check_card_refuses_server (f, ESIM_TEST_SMDP_FAULT_FOREIGN_CI, ESIM_ES10_ERROR_CERTIFICATE);
}

static void
test_bad_server_signature (Fixture *f, gconstpointer data)
{
	check_card_refuses_server (f, ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE,
	                           ESIM_ES10_ERROR_VERIFICATION_FAILED);
}

/* Cancelled while no session exists: nothing to cancel. */
static void
test_cancel_before_session (Fixture *f, gconstpointer data)
{
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-X" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	fake_rsp_server_hang (f->server, "initiateAuthentication");
	start (f, &params);
	esim_test_wait_until (fake_rsp_server_is_hanging (f->server), "initiateAuthentication");
	g_cancellable_cancel (f->cancellable);
	result = finish (f, &failure, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION);
}

/* ---- after AuthenticateServer: every failure is cancelled on both sides ---- */

/* Cancelled while the server thinks: postponed. */
static void
test_cancel_in_session (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-P" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-P" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_hang (f->server, "getBoundProfilePackage");
	start (f, &params);
	esim_test_wait_until (fake_rsp_server_is_hanging (f->server), "getBoundProfilePackage");
	g_cancellable_cancel (f->cancellable);
	result = finish (f, &failure, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_POSTPONED);
}

static void
test_confirmation_code_missing (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-CC" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_CONFIRMATION_CODE_REQUIRED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_CHECK_PROFILE,
	                  ESIM_CANCEL_SESSION_END_USER_REJECTION);
	/* refused before PrepareDownload: the card never signed anything for the package */
	g_assert_cmpstr (fake_rsp_server_get_calls (f->server), ==,
	                 "initiateAuthentication,authenticateClient,cancelSession");
	g_assert_null (strstr (f->steps->str, "prepare-download"));
}

static void
test_wrong_confirmation_code (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CC", .confirmation_code = "4711" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-CC",
	                              .confirmation_code = "0000" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *subject = NULL;
	g_autofree gchar *reason = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
	g_assert_true (g_str_has_prefix (error->message,
	                                 "the fake SM-DP+ refused getBoundProfilePackage: "));
	g_assert_true (esim_download_error_get_status_codes (error, &subject, &reason));
	g_assert_cmpstr (subject, ==, "8.2.7");
	g_assert_cmpstr (reason, ==, "3.8");
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_UNDEFINED);
}

static void
mutate_client_transaction (const gchar *function, gpointer answer, gpointer user_data)
{
	if (g_str_equal (function, "authenticateClient")) {
		EsimAuthenticateClientOk *ok = answer;

		g_free (ok->transaction_id);
		ok->transaction_id = g_strdup ("00112233");
	}
}

static void
test_client_transaction_mismatch (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-T" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-T" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_set_mutate (f->server, mutate_client_transaction, NULL);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_CHECK_PROFILE, ESIM_CANCEL_SESSION_UNDEFINED);
}

static void
test_server_refuses_client (Fixture *f, gconstpointer data)
{
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "NO-SUCH-ORDER" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED);
	g_assert_nonnull (strstr (error->message, "8.2.6"));
	g_assert_cmpint (failure.step, ==, ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT);
	g_assert_cmpint (failure.cancel_reason, ==, ESIM_CANCEL_SESSION_UNDEFINED);
	g_assert_true (failure.card_cancelled);
	/* the SM-DP+ dropped the session with its refusal: it may not know it any more */
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

static void
test_expected_iccid (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-E" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-E",
	                              .expected_iccid = OTHER_ICCID };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_CHECK_PROFILE,
	                  ESIM_CANCEL_SESSION_METADATA_MISMATCH);
}

static void
test_already_installed (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-A", .iccid = ICCID_ON_CARD };
	const gchar *const installed[] = { "89444765000000000223", ICCID_ON_CARD, NULL };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-A",
	                              .installed_iccids = installed };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_ALREADY_INSTALLED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_CHECK_PROFILE,
	                  ESIM_CANCEL_SESSION_METADATA_MISMATCH);
}

/* Without the list the card finds it: a failed result, the session is the card's to end. */
static void
test_already_installed_card (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-A", .iccid = ICCID_ON_CARD };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-A" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS);
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE);
	/* the failed result is the install notification the SM-DP+ is owed */
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, 1);
}

/* StoreMetadataRequest { iccid, serviceProviderName, profileName, profilePolicyRules } */
static GBytes *
build_metadata (const gchar *iccid, guint32 pprs)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint8 bcd[ESIM_ICCID_LENGTH];

	g_assert_true (esim_iccid_to_bcd (iccid, bcd, NULL));
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_METADATA);
	esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	esim_der_writer_put_utf8 (writer, ESIM_TAG_META_SERVICE_PROVIDER, "esimd tests");
	esim_der_writer_put_utf8 (writer, ESIM_TAG_META_PROFILE_NAME, "announced");
	if (pprs != 0)
		esim_der_writer_put_named_bits (writer, ESIM_TAG_META_PPR, pprs);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static void
mutate_metadata (const gchar *function, gpointer answer, gpointer user_data)
{
	GBytes *metadata = user_data;

	if (g_str_equal (function, "authenticateClient")) {
		EsimAuthenticateClientOk *ok = answer;

		g_clear_pointer (&ok->profile_metadata, g_bytes_unref);
		ok->profile_metadata = g_bytes_ref (metadata);
	}
}

static void
test_ppr_not_allowed (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-PPR" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-PPR",
	                              .refused_pprs = 1 << 1 };
	g_autoptr(GBytes) metadata = build_metadata (OTHER_ICCID, 1 << 1);
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_set_mutate (f->server, mutate_metadata, metadata);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_PPR_NOT_ALLOWED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_CHECK_PROFILE,
	                  ESIM_CANCEL_SESSION_PPR_NOT_ALLOWED);
}

/* authenticateClient announced another profile than the package holds. */
static void
test_package_metadata_mismatch (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-M" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-M" };
	g_autoptr(GBytes) metadata = build_metadata (OTHER_ICCID, 0);
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_set_mutate (f->server, mutate_metadata, metadata);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_METADATA_MISMATCH);
	g_assert_null (strstr (f->steps->str, "load-bound-profile-package"));
}

static void
mutate_package_transaction (const gchar *function, gpointer answer, gpointer user_data)
{
	if (g_str_equal (function, "getBoundProfilePackage")) {
		EsimBoundProfilePackageOk *ok = answer;

		g_free (ok->transaction_id);
		ok->transaction_id = g_strdup ("00112233");
	}
}

static void
test_package_transaction_mismatch (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-T" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-T" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_set_mutate (f->server, mutate_package_transaction, NULL);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_UNDEFINED);
}

static void
mutate_package_garbage (const gchar *function, gpointer answer, gpointer user_data)
{
	static const guint8 garbage[] = { 0xBF, 0x36, 0x03, 0x80, 0x01, 0x00 };

	if (g_str_equal (function, "getBoundProfilePackage")) {
		EsimBoundProfilePackageOk *ok = answer;

		g_bytes_unref (ok->bound_profile_package);
		ok->bound_profile_package = g_bytes_new_static (garbage, sizeof (garbage));
	}
}

static void
test_package_unsegmentable (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-G" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-G" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_set_mutate (f->server, mutate_package_garbage, NULL);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR);
}

/* The connection broke after the server built the package: both sides cancel. */
static void
test_package_lost (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-D" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-D" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_fail (f->server, "getBoundProfilePackage",
	                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
	                                           "the connection broke off"), TRUE);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR);
	/* the order is free again for the next try */
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, "MID-D"), ==,
	                 ESIM_TEST_SMDP_ORDER_RELEASED);
}

static void
test_package_timeout (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-TO" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-TO" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_fail (f->server, "getBoundProfilePackage",
	                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "timed out"),
	                      FALSE);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_TIMEOUT);
}

/* The card refuses smdpSignature2: its session stays for the cancel (SGP.22 §5.7.5). */
static void
test_card_refuses_prepare (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-S2" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-S2" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_BAD_SMDP_SIGNATURE2);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_VERIFICATION_FAILED);
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD,
	                  ESIM_CANCEL_SESSION_UNDEFINED);
	g_assert_null (strstr (fake_rsp_server_get_calls (f->server), "getBoundProfilePackage"));
}

/* A package tampered with after its MAC: the card's failed result, no cancel. */
static void
test_tampered_package (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-TB" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-TB" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	esim_test_smdp_set_faults (f->smdp, ESIM_TEST_SMDP_FAULT_TAMPER_BPP);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_VERIFICATION_FAILED);
	g_assert_nonnull (strstr (error->message, "scp03tSecurityError"));
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, 1);
}

static void
test_card_full (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-F" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-F" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	fixture_tear_down (f, NULL);
	memset (f, 0, sizeof (*f));
	fixture_set_up_card (f, 2);
	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NO_MEMORY);
	assert_not_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE);
}

/* The card stops answering in the middle of the package: no result, both sides cancel. */
static void
test_load_without_result (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-NR" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-NR" };
	g_autofree gchar *dir = g_dir_make_tmp ("test-download-flow-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename (dir, "card.ini", NULL);
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n[faults]\nBF36=6F00\n",
	                                          pki_dir);
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;
	EsimVeuicc *card;

	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	g_clear_object (&f->card);
	g_assert_true (g_file_set_contents (path, seed, -1, NULL));
	card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	fixture_open_card (f, card);
	add_order (f, &order);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TECHNICAL);
	g_assert_true (g_str_has_prefix (error->message, "LoadBoundProfilePackage: "));
	assert_cancelled (f, &failure, ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE,
	                  ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR);
	g_unlink (path);
	g_rmdir (dir);
}

/* The server does not take the cancel: logged, the download's own error stands. */
static void
test_cancel_refused_by_server (Fixture *f, gconstpointer data)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-CR" };
	EsimDownloadParams params = { .smdp_address = HOST, .matching_id = "MID-CR" };
	g_autoptr(EsimDownloadResult) result = NULL;
	g_autoptr(GError) error = NULL;
	EsimDownloadFailure failure;

	add_order (f, &order);
	fake_rsp_server_fail (f->server, "getBoundProfilePackage",
	                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "gone"),
	                      FALSE);
	fake_rsp_server_fail (f->server, "cancelSession",
	                      g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
	                                           "refused"), FALSE);
	result = run (f, &params, &failure, &error);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
	g_assert_true (failure.card_cancelled);
	g_assert_false (failure.server_told);
	g_assert_cmpuint (n_profiles (f), ==, 2);
}

/* ---- the pure parts ---- */

static void
test_cancel_reason_table (void)
{
	const struct {
		EsimDownloadStep step;
		GQuark domain;
		gint code;
		EsimCancelSessionReason reason;
	} rows[] = {
		{ ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT, G_IO_ERROR, G_IO_ERROR_CANCELLED,
		  ESIM_CANCEL_SESSION_POSTPONED },
		{ ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD, G_IO_ERROR, G_IO_ERROR_CANCELLED,
		  ESIM_CANCEL_SESSION_POSTPONED },
		{ ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		  ESIM_CANCEL_SESSION_TIMEOUT },
		{ ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		  ESIM_CANCEL_SESSION_TIMEOUT },
		{ ESIM_DOWNLOAD_STEP_CHECK_PROFILE, ESIM_DOWNLOAD_ERROR,
		  ESIM_DOWNLOAD_ERROR_CONFIRMATION_CODE_REQUIRED, ESIM_CANCEL_SESSION_END_USER_REJECTION },
		{ ESIM_DOWNLOAD_STEP_CHECK_PROFILE, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_PPR_NOT_ALLOWED,
		  ESIM_CANCEL_SESSION_PPR_NOT_ALLOWED },
		{ ESIM_DOWNLOAD_STEP_CHECK_PROFILE, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_ALREADY_INSTALLED,
		  ESIM_CANCEL_SESSION_METADATA_MISMATCH },
		{ ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, ESIM_DOWNLOAD_ERROR,
		  ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH, ESIM_CANCEL_SESSION_METADATA_MISMATCH },
		{ ESIM_DOWNLOAD_STEP_CHECK_PROFILE, ESIM_DOWNLOAD_ERROR, ESIM_DOWNLOAD_ERROR_INCONSISTENT,
		  ESIM_CANCEL_SESSION_UNDEFINED },
		{ ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
		  ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR },
		{ ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_MALFORMED,
		  ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR },
		{ ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED,
		  ESIM_CANCEL_SESSION_UNDEFINED },
		{ ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_EXPIRED,
		  ESIM_CANCEL_SESSION_UNDEFINED },
		{ ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE, ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
		  ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR },
		{ ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT, ESIM_ES9P_ERROR, ESIM_ES9P_ERROR_FAILED,
		  ESIM_CANCEL_SESSION_UNDEFINED },
		{ ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD, ESIM_ES10_ERROR, ESIM_ES10_ERROR_VERIFICATION_FAILED,
		  ESIM_CANCEL_SESSION_UNDEFINED },
		/* a card that stalls is not a server timeout */
		{ ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
		  ESIM_CANCEL_SESSION_UNDEFINED },
	};

	for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
		g_autoptr(GError) error = g_error_new_literal (rows[i].domain, rows[i].code, "x");

		g_test_message ("row %u", i);
		g_assert_cmpint (esim_download_cancel_reason (rows[i].step, error), ==, rows[i].reason);
	}
}

static void
test_status_codes (void)
{
	static const gchar answer[] =
		"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":"
		"{\"subjectCode\":\"8.2.7\",\"reasonCode\":\"3.8\",\"message\":\"Refused (try again)\"}}}}";
	g_autoptr(EsimBoundProfilePackageOk) ok = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
	                                               "x (subject 1, reason 2)");
	g_autofree gchar *subject = NULL;
	g_autofree gchar *reason = NULL;

	/* the message the ES9+ parser makes, prefixed as the flow does */
	ok = esim_es9p_parse_get_bound_profile_package (answer, strlen (answer), NULL, &error);
	g_assert_null (ok);
	g_prefix_error (&error, "the SM-DP+ x refused getBoundProfilePackage: ");
	g_assert_true (esim_download_error_get_status_codes (error, &subject, &reason));
	g_assert_cmpstr (subject, ==, "8.2.7");
	g_assert_cmpstr (reason, ==, "3.8");
	g_assert_false (esim_download_error_get_status_codes (other, NULL, NULL));
}

static void
test_bpp_metadata (void)
{
	/* BF36 { BF23 {}, A1 { 88 <BF25 03 5A 01 01> <8-byte MAC> } } */
	static const guint8 bpp[] = {
		0xBF, 0x36, 0x14, 0xBF, 0x23, 0x00,
		0xA1, 0x0F, 0x88, 0x0D, 0xBF, 0x25, 0x02, 0x5A, 0x00,
		1, 2, 3, 4, 5, 6, 7, 8,
	};
	static const guint8 no_88[] = { 0xBF, 0x36, 0x03, 0xBF, 0x23, 0x00 };
	static const guint8 short_88[] = { 0xBF, 0x36, 0x09, 0xBF, 0x23, 0x00, 0xA1, 0x04, 0x88, 0x02, 1, 2 };
	static const guint8 expected[] = { 0xBF, 0x25, 0x02, 0x5A, 0x00 };
	g_autoptr(GBytes) in = g_bytes_new_static (bpp, sizeof (bpp));
	g_autoptr(GBytes) in_no_88 = g_bytes_new_static (no_88, sizeof (no_88));
	g_autoptr(GBytes) in_short = g_bytes_new_static (short_88, sizeof (short_88));
	g_autoptr(GBytes) want = g_bytes_new_static (expected, sizeof (expected));
	g_autoptr(GBytes) got = NULL;
	g_autoptr(GError) error = NULL;

	got = esim_download_bpp_metadata (in, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (got, want));
	g_assert_null (esim_download_bpp_metadata (in_no_88, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING);
	g_clear_error (&error);
	g_assert_null (esim_download_bpp_metadata (in_short, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
}

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

int
main (int argc, char **argv)
{
	EsimTestPkiOptions options = { .smdp_host = HOST, .foreign_ci = TRUE };
	g_autoptr(GError) error = NULL;
	int ret;

	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-download-flow-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);

#define ADD(path, fn) g_test_add ("/flows/download/" path, Fixture, NULL, fixture_set_up, fn, \
	                          fixture_tear_down)
	ADD ("success", test_success);
	ADD ("eim-ctx-params1", test_eim_ctx_params1);
	ADD ("confirmation-code", test_confirmation_code);
	ADD ("protected-in-advance", test_protected_in_advance);
	ADD ("cancel-during-load", test_cancel_during_load);
	ADD ("before-session/initiate-fails", test_initiate_fails);
	ADD ("before-session/wrong-server-address", test_wrong_server_address);
	ADD ("before-session/transaction-mismatch", test_initiate_transaction_mismatch);
	ADD ("before-session/foreign-ci", test_foreign_ci);
	ADD ("before-session/bad-server-signature", test_bad_server_signature);
	ADD ("before-session/cancelled", test_cancel_before_session);
	ADD ("session/cancelled", test_cancel_in_session);
	ADD ("session/confirmation-code-missing", test_confirmation_code_missing);
	ADD ("session/wrong-confirmation-code", test_wrong_confirmation_code);
	ADD ("session/client-transaction-mismatch", test_client_transaction_mismatch);
	ADD ("session/server-refuses-client", test_server_refuses_client);
	ADD ("session/expected-iccid", test_expected_iccid);
	ADD ("session/already-installed", test_already_installed);
	ADD ("session/ppr-not-allowed", test_ppr_not_allowed);
	ADD ("session/package-metadata-mismatch", test_package_metadata_mismatch);
	ADD ("session/package-transaction-mismatch", test_package_transaction_mismatch);
	ADD ("session/package-unsegmentable", test_package_unsegmentable);
	ADD ("session/package-lost", test_package_lost);
	ADD ("session/package-timeout", test_package_timeout);
	ADD ("session/card-refuses-prepare", test_card_refuses_prepare);
	ADD ("session/load-without-result", test_load_without_result);
	ADD ("session/cancel-refused-by-server", test_cancel_refused_by_server);
	ADD ("result/tampered-package", test_tampered_package);
	ADD ("result/already-installed", test_already_installed_card);
	ADD ("result/card-full", test_card_full);
#undef ADD
	g_test_add_func ("/flows/download/cancel-reason-table", test_cancel_reason_table);
	g_test_add_func ("/flows/download/status-codes", test_status_codes);
	g_test_add_func ("/flows/download/bpp-metadata", test_bpp_metadata);
	ret = g_test_run ();
	rm_rf (pki_dir);
	g_free (pki_dir);
	return ret;
}
