/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM's indirect profile download (SGP.32 §3.2.3.2): the IPA's
 * ESipa InitiateAuthentication, AuthenticateClient, GetBoundProfilePackage
 * and CancelSession are relayed to the SM-DP+ over ES9+, as onomondo-eim does
 * (src/esipa_asn1_handler.erl, handle_asn1 for each of them), one ES9+
 * session per transactionId, on one keep-alive HTTPS connection each.
 *
 * The ES9+ leg uses the IPA's own ES9+ client (src/net/esim-es9p-client.h):
 * it is not what the eIM tests, and what the IPA sends the eIM is parsed by
 * the eIM's own codec.  Every signed object crosses as the whole TLV it came
 * as, re-wrapped only ("Fourth pass": the eIM forwards signed eUICC objects
 * as raw TLVs, never decoded and re-encoded).
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <string.h>

#include "esim-es9p-client.h"
#include "esim-rsp-server.h"
#include "esim-test-eim-private.h"
#include "esim-util.h"

typedef struct {
	gchar          *transaction_id;   /* upper-case hex */
	gchar          *eid;
	EsimEs9pClient *client;
} RelaySession;

struct _EimRelay {
	GTlsDatabase *trust;
	GHashTable   *sessions;           /* transaction id hex -> RelaySession */
	GCancellable *cancellable;
	guint         counts[ESIM_TEST_EIM_N_FUNCTIONS];
};

typedef struct {
	EimRelay        *relay;
	GCancellable    *cancellable;     /* the relay's when the call started: cancelled, the relay is gone */
	EsimTestEimFunction function;
	EsimEs9pClient  *client;
	gchar           *eid;
	gchar           *matching_id;
	gchar           *transaction_id;
	EimRelayCallback callback;
	gpointer         user_data;
} RelayCall;

static void
relay_session_free (RelaySession *session)
{
	g_free (session->transaction_id);
	g_free (session->eid);
	g_clear_object (&session->client);
	g_free (session);
}

static void
relay_call_free (RelayCall *call)
{
	g_clear_object (&call->client);
	g_clear_object (&call->cancellable);
	g_free (call->eid);
	g_free (call->matching_id);
	g_free (call->transaction_id);
	g_free (call);
}

EimRelay *
eim_relay_new (void)
{
	EimRelay *relay = g_new0 (EimRelay, 1);

	relay->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
	                                         (GDestroyNotify) relay_session_free);
	relay->cancellable = g_cancellable_new ();
	return relay;
}

void
eim_relay_close (EimRelay *relay)
{
	g_cancellable_cancel (relay->cancellable);
	g_clear_object (&relay->cancellable);
	relay->cancellable = g_cancellable_new ();
	g_hash_table_remove_all (relay->sessions);
}

void
eim_relay_free (EimRelay *relay)
{
	if (relay == NULL)
		return;
	g_cancellable_cancel (relay->cancellable);
	g_clear_object (&relay->cancellable);
	g_hash_table_unref (relay->sessions);
	g_clear_object (&relay->trust);
	g_free (relay);
}

void
eim_relay_set_trust (EimRelay *relay, GTlsDatabase *database)
{
	g_set_object (&relay->trust, database);
}

gboolean
eim_relay_is_enabled (EimRelay *relay)
{
	return relay->trust != NULL;
}

guint
eim_relay_get_count (EimRelay *relay, EsimTestEimFunction function)
{
	for (guint i = 0; i < ESIM_TEST_EIM_N_FUNCTIONS; i++) {
		if (function == (1u << i))
			return relay->counts[i];
	}
	return 0;
}

static void
count (EimRelay *relay, EsimTestEimFunction function)
{
	for (guint i = 0; i < ESIM_TEST_EIM_N_FUNCTIONS; i++) {
		if (function == (1u << i))
			relay->counts[i]++;
	}
}

const gchar *
eim_relay_session_eid (EimRelay *relay, GBytes *transaction_id)
{
	g_autofree gchar *hex = transaction_id != NULL ? esim_hex_encode_bytes (transaction_id) : NULL;
	RelaySession *session = hex != NULL ? g_hash_table_lookup (relay->sessions, hex) : NULL;

	return session != NULL ? session->eid : NULL;
}

/* An ES9+ refusal as the ESipa error INTEGER of the same function.  The
 * ES9+ status codes are SGP.22 v2.5 §5.6.1–§5.6.4 (subject code, reason
 * code); the mapping to the ESipa named numbers follows the names
 * [unverified: SGP.32 gives no table]; anything else is undefinedError. */
static gint64
map_refusal (EsimTestEimFunction function, const GError *error)
{
	static const struct {
		EsimTestEimFunction function;
		const gchar *subject;
		const gchar *reason;
		gint64 code;
	} map[] = {
		{ ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION, "8.8.1", "3.8", 1 },  /* invalidDpAddress */
		{ ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION, "8.8.3", "3.1", 2 },  /* euiccVersionNotSupportedByDp */
		{ ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION, "8.8.2", "3.1", 3 },  /* ciPKIdNotSupported */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.1.2", "6.1", 1 },      /* eumCertificateInvalid */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.1.3", "6.1", 3 },      /* euiccCertificateInvalid */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.1", "6.1", 5 },        /* euiccSignatureInvalid */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.2.6", "3.8", 6 },      /* matchingIdRefused */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.1.1", "3.8", 7 },      /* eidMismatch */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.2", "1.2", 8 },        /* noEligibleProfile */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.10.1", "3.9", 10 },    /* invalidTransactionId */
		{ ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT, "8.8.5", "4.10", 18 },    /* downloadOrderExpired */
		{ ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE, "8.1", "6.1", 1 },  /* euiccSignatureInvalid */
		{ ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE, "8.2.7", "2.2", 2 }, /* confirmationCodeMissing */
		{ ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE, "8.2.7", "3.8", 3 }, /* confirmationCodeRefused */
		{ ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE, "8.2.7", "6.4", 4 }, /* …RetriesExceeded */
		{ ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE, "8.10.1", "3.9", 95 }, /* invalidTransactionId */
		{ ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION, "8.10.1", "3.9", 1 },          /* invalidTransactionId */
		{ ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION, "8.1", "6.1", 2 },             /* euiccSignatureInvalid */
	};

	if (error->domain != ESIM_ES9P_ERROR || error->code == ESIM_ES9P_ERROR_MALFORMED)
		return EIM_ERROR_UNDEFINED;
	for (guint i = 0; i < G_N_ELEMENTS (map); i++) {
		g_autofree gchar *codes = g_strdup_printf ("(subject %s, reason %s)", map[i].subject, map[i].reason);

		if (map[i].function == function && strstr (error->message, codes) != NULL)
			return map[i].code;
	}
	return EIM_ERROR_UNDEFINED;
}

static void
finish_call (RelayCall *call, EimAnswer *answer)
{
	call->callback (answer, call->user_data);
	relay_call_free (call);
}

static void
finish_error (RelayCall *call, GError *error)
{
	EimAnswer *answer;

	/* cancelled: the eIM is going away and answers nobody */
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		relay_call_free (call);
		return;
	}
	answer = g_new0 (EimAnswer, 1);
	answer->function = call->function;
	answer->error_code = map_refusal (call->function, error);
	g_message ("relay %s to the SM-DP+ failed: %s (answered %" G_GINT64_FORMAT ")",
	           esim_test_eim_function_name (call->function), error->message, answer->error_code);
	finish_call (call, answer);
}

static EimAnswer *
answer_new (RelayCall *call, const gchar *transaction_id)
{
	EimAnswer *answer = g_new0 (EimAnswer, 1);

	answer->function = call->function;
	answer->error_code = -1;
	answer->transaction_id = esim_hex_decode (transaction_id, NULL);
	return answer;
}

static void
initiate_authentication_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	RelayCall *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimInitiateAuthenticationOk) ok = NULL;
	RelaySession *session;
	EimAnswer *answer;

	if (g_cancellable_is_cancelled (call->cancellable)) {
		relay_call_free (call);
		return;
	}
	ok = esim_rsp_server_initiate_authentication_finish (ESIM_RSP_SERVER (source), res, &error);
	if (ok == NULL) {
		finish_error (call, error);
		return;
	}
	session = g_new0 (RelaySession, 1);
	session->transaction_id = g_ascii_strup (ok->transaction_id, -1);
	session->eid = g_strdup (call->eid);
	session->client = g_object_ref (call->client);
	g_hash_table_replace (call->relay->sessions, session->transaction_id, session);
	answer = answer_new (call, ok->transaction_id);
	answer->server_signed1 = g_bytes_ref (ok->server_signed1);
	answer->server_signature1 = g_bytes_ref (ok->server_signature1);
	answer->ci_pkid = g_bytes_ref (ok->euicc_ci_pkid_to_be_used);
	answer->server_certificate = g_bytes_ref (ok->server_certificate);
	/* the matchingId of the order, for an IPA that leaves ctxParams1 to the
	 * eIM (onomondo-eim's comment on SGP.32 §3.1.2.3 in handle_asn1) */
	answer->matching_id = g_strdup (call->matching_id);
	finish_call (call, answer);
}

static void
authenticate_client_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	RelayCall *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimAuthenticateClientOk) ok = NULL;
	EimAnswer *answer;

	if (g_cancellable_is_cancelled (call->cancellable)) {
		relay_call_free (call);
		return;
	}
	ok = esim_rsp_server_authenticate_client_finish (ESIM_RSP_SERVER (source), res, &error);
	if (ok == NULL) {
		finish_error (call, error);
		return;
	}
	answer = answer_new (call, ok->transaction_id != NULL ? ok->transaction_id : call->transaction_id);
	answer->profile_metadata = ok->profile_metadata != NULL ? g_bytes_ref (ok->profile_metadata) : NULL;
	answer->smdp_signed2 = g_bytes_ref (ok->smdp_signed2);
	answer->smdp_signature2 = g_bytes_ref (ok->smdp_signature2);
	answer->smdp_certificate = g_bytes_ref (ok->smdp_certificate);
	answer->hash_cc = ok->hash_cc != NULL ? g_bytes_ref (ok->hash_cc) : NULL;
	finish_call (call, answer);
}

static void
get_bound_profile_package_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	RelayCall *call = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimBoundProfilePackageOk) ok = NULL;
	EimAnswer *answer;

	if (g_cancellable_is_cancelled (call->cancellable)) {
		relay_call_free (call);
		return;
	}
	ok = esim_rsp_server_get_bound_profile_package_finish (ESIM_RSP_SERVER (source), res, &error);
	if (ok == NULL) {
		finish_error (call, error);
		return;
	}
	answer = answer_new (call, ok->transaction_id != NULL ? ok->transaction_id : call->transaction_id);
	answer->bound_profile_package = g_bytes_ref (ok->bound_profile_package);
	finish_call (call, answer);
}

static void
cancel_session_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	RelayCall *call = user_data;
	g_autoptr(GError) error = NULL;
	EimAnswer *answer;

	if (g_cancellable_is_cancelled (call->cancellable)) {
		relay_call_free (call);
		return;
	}
	/* the session ends either way */
	g_hash_table_remove (call->relay->sessions, call->transaction_id);
	if (!esim_rsp_server_cancel_session_finish (ESIM_RSP_SERVER (source), res, &error)) {
		finish_error (call, error);
		return;
	}
	answer = answer_new (call, call->transaction_id);
	finish_call (call, answer);
}

static gint64
invalid_transaction_code (EsimTestEimFunction function)
{
	switch (function) {
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		return EIM_AC_ERROR_INVALID_TRANSACTION_ID;
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		return EIM_GBPP_ERROR_INVALID_TRANSACTION_ID;
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
	default:
		return EIM_CANCEL_ERROR_INVALID_TRANSACTION_ID;
	}
}

static void
answer_error_now (RelayCall *call, gint64 code, const gchar *why)
{
	EimAnswer *answer = g_new0 (EimAnswer, 1);

	answer->function = call->function;
	answer->error_code = code;
	g_message ("relay %s: %s (answered %" G_GINT64_FORMAT ")", esim_test_eim_function_name (call->function),
	           why, code);
	finish_call (call, answer);
}

void
eim_relay_handle (EimRelay *relay, const EimRequest *request, const EimRelayContext *context,
                  EimRelayCallback callback, gpointer user_data)
{
	RelayCall *call = g_new0 (RelayCall, 1);
	g_autoptr(GError) error = NULL;
	RelaySession *session;

	call->relay = relay;
	call->cancellable = g_object_ref (relay->cancellable);
	call->function = request->function;
	call->callback = callback;
	call->user_data = user_data;
	if (relay->trust == NULL) {
		answer_error_now (call, EIM_ERROR_UNDEFINED, "no SM-DP+ trust set: the relay is off");
		return;
	}
	count (relay, request->function);
	if (request->function == ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION) {
		call->eid = g_strdup (context->eid);
		call->matching_id = g_strdup (context->matching_id);
		call->client = esim_es9p_client_new (context->smdp_address, relay->trust, &error);
		if (call->client == NULL) {
			answer_error_now (call, EIM_IA_ERROR_INVALID_DP_ADDRESS, error->message);
			return;
		}
		esim_rsp_server_initiate_authentication_async (ESIM_RSP_SERVER (call->client), request->euicc_challenge,
		                                               request->euicc_info1 != NULL ? request->euicc_info1
		                                                                            : context->euicc_info1,
		                                               context->smdp_address, relay->cancellable,
		                                               initiate_authentication_done, call);
		return;
	}
	call->transaction_id = esim_hex_encode_bytes (request->transaction_id);
	session = g_hash_table_lookup (relay->sessions, call->transaction_id);
	if (session == NULL) {
		answer_error_now (call, invalid_transaction_code (request->function), "unknown transactionId");
		return;
	}
	call->client = g_object_ref (session->client);
	switch (request->function) {
	case ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT:
		esim_rsp_server_authenticate_client_async (ESIM_RSP_SERVER (call->client), call->transaction_id,
		                                           request->euicc_response, relay->cancellable,
		                                           authenticate_client_done, call);
		break;
	case ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE:
		esim_rsp_server_get_bound_profile_package_async (ESIM_RSP_SERVER (call->client), call->transaction_id,
		                                                 request->euicc_response, relay->cancellable,
		                                                 get_bound_profile_package_done, call);
		break;
	case ESIM_TEST_EIM_FUNCTION_CANCEL_SESSION:
		esim_rsp_server_cancel_session_async (ESIM_RSP_SERVER (call->client), call->transaction_id,
		                                      request->euicc_response, relay->cancellable,
		                                      cancel_session_done, call);
		break;
	default:
		answer_error_now (call, EIM_ERROR_UNDEFINED, "not a relayed function");
		break;
	}
}

static void
forward_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!esim_es9p_client_handle_notification_finish (ESIM_ES9P_CLIENT (source), res, &error))
		g_message ("forwarding a notification to %s failed: %s",
		           esim_es9p_client_get_address (ESIM_ES9P_CLIENT (source)), error->message);
	else
		g_debug ("notification forwarded to %s", esim_es9p_client_get_address (ESIM_ES9P_CLIENT (source)));
	g_object_unref (source);
}

void
eim_relay_forward_notification (EimRelay *relay, GBytes *pending_notification, const gchar *notification_address)
{
	g_autoptr(GError) error = NULL;
	EsimEs9pClient *client;

	/* onomondo-eim forwards every full notification to its notificationAddress
	 * over ES9+ handleNotification, even one whose download it no longer knows
	 * (esipa_asn1_handler.erl, handleNotificationEsipa) */
	if (relay->trust == NULL || notification_address == NULL)
		return;
	client = esim_es9p_client_new (notification_address, relay->trust, &error);
	if (client == NULL) {
		g_message ("cannot forward a notification to %s: %s", notification_address, error->message);
		return;
	}
	count (relay, ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION);
	esim_es9p_client_handle_notification_async (client, pending_notification, relay->cancellable, forward_done,
	                                            NULL);
}
