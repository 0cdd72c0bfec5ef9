/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa client: the messages are src/lib's codecs (esim-esipa.c for ASN.1,
 * esim-esipa-json.c for JSON); this file sends them over the eIM's
 * EsimHttpClient, repeats what may be repeated, and turns the eIM's
 * refusals into ESIM_ESIPA_ERROR.  One function table drives every call.
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-eim-tls-database.h"
#include "esim-esipa-client.h"
#include "esim-esipa-json.h"

struct _EsimEsipaClient {
	GObject parent_instance;
	EsimHttpClient *http;
	gchar *eim_id;
	EsimEsipaBinding binding;
	gchar *asn1_path;
	gchar *json_prefix;
	guint attempts;
	guint retry_delay;
};

G_DEFINE_TYPE (EsimEsipaClient, esim_esipa_client, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------ */
/* the functions */

/* Parses an answer body (never NULL; may be empty where the function allows
 * it); on the eIM's refusal sets *eim_error where the binding carries a code. */
typedef gpointer (*ParseAnswer) (GBytes *answer, gint *eim_error, GError **error);

typedef struct {
	const gchar   *name;           /* SGP.32's name, for messages */
	const gchar   *json_function;  /* the JSON binding's path element */
	gsize          max_answer;
	gboolean       empty_answer_ok;
	/* may be sent again once the eIM may have processed it (see the header) */
	gboolean       repeatable;
	ParseAnswer    parse_asn1;
	ParseAnswer    parse_json;
	GDestroyNotify free_result;
} EsipaFunction;

static const gchar *
answer_text (GBytes *answer, gsize *len)
{
	const gchar *text = g_bytes_get_data (answer, len);

	return text != NULL ? text : "";
}

/* The eIM's error code as a refusal. */
static gpointer
refused (GError **error, gint *eim_error, gint code, const gchar *function)
{
	if (eim_error != NULL)
		*eim_error = code;
	g_set_error (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_REFUSED, "%s: %s (%d)", function,
	             esim_esipa_eim_package_error_to_string (code), code);
	return NULL;
}

/* A package, or noEimPackageAvailable; any other eimPackageError is a refusal. */
static gpointer
check_package (EsimEimPackage *package, gint *eim_error, GError **error)
{
	g_autoptr(EsimEimPackage) owned = package;

	if (owned == NULL)
		return NULL;
	if (owned->kind == ESIM_EIM_PACKAGE_ERROR &&
	    owned->error_code != ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE)
		return refused (error, eim_error, owned->error_code, "GetEimPackage");
	return g_steal_pointer (&owned);
}

static gpointer
parse_get_eim_package_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	return check_package (esim_esipa_parse_get_eim_package_response (answer, error), eim_error,
	                      error);
}

static gpointer
parse_get_eim_package_json (GBytes *answer, gint *eim_error, GError **error)
{
	gsize len;
	const gchar *text = answer_text (answer, &len);

	return check_package (esim_esipa_json_parse_get_eim_package_response (text, len, error),
	                      eim_error, error);
}

/* Acknowledgements or emptyResponse; provideEimPackageResultError is a refusal. */
static gpointer
check_provide_response (EsimProvideResultResponse *response, gint *eim_error, GError **error)
{
	g_autoptr(EsimProvideResultResponse) owned = response;

	if (owned == NULL)
		return NULL;
	if (owned->kind == ESIM_PROVIDE_RESULT_ERROR)
		return refused (error, eim_error, owned->error_code, "ProvideEimPackageResult");
	return g_steal_pointer (&owned);
}

static gpointer
parse_provide_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	return check_provide_response (esim_esipa_parse_provide_eim_package_result_response (answer,
	                                                                                   error),
	                               eim_error, error);
}

static gpointer
parse_provide_json (GBytes *answer, gint *eim_error, GError **error)
{
	gsize len;
	const gchar *text = answer_text (answer, &len);

	return check_provide_response (esim_esipa_json_parse_provide_eim_package_result_response (text,
	                                                                                        len,
	                                                                                        error),
	                               eim_error, error);
}

/* HandleNotification has no answer (SGP.32 §6.3.2.4; digest §3.2): a 2xx is
 * the delivery.  What an eIM sends anyway is heard only when it says no. */
static gpointer
parse_handle_notification_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	if (g_bytes_get_size (answer) > 0)
		g_debug ("ESipa HandleNotification: 2xx with a %" G_GSIZE_FORMAT "-byte body, "
		         "taken as delivered", g_bytes_get_size (answer));
	return GINT_TO_POINTER (1);
}

static gpointer
parse_handle_notification_json (GBytes *answer, gint *eim_error, GError **error)
{
	g_autoptr(GError) local = NULL;
	gsize len;
	const gchar *text = answer_text (answer, &len);

	if (esim_esipa_json_parse_handle_notification_response (text, len, NULL, &local))
		return GINT_TO_POINTER (1);
	if (g_error_matches (local, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED)) {
		g_debug ("ESipa HandleNotification: 2xx with a body that is not a header, taken as "
		         "delivered (%s)", local->message);
		return GINT_TO_POINTER (1);
	}
	g_propagate_error (error, g_steal_pointer (&local));
	return NULL;
}

static gpointer
parse_initiate_authentication_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	return esim_esipa_parse_initiate_authentication_response (answer, eim_error, error);
}

static gpointer
parse_initiate_authentication_json (GBytes *answer, gint *eim_error, GError **error)
{
	gsize len;
	const gchar *text = answer_text (answer, &len);

	return esim_esipa_json_parse_initiate_authentication_response (text, len, NULL, error);
}

static gpointer
parse_authenticate_client_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	return esim_esipa_parse_authenticate_client_response (answer, eim_error, error);
}

static gpointer
parse_authenticate_client_json (GBytes *answer, gint *eim_error, GError **error)
{
	gsize len;
	const gchar *text = answer_text (answer, &len);

	return esim_esipa_json_parse_authenticate_client_response (text, len, NULL, error);
}

static gpointer
parse_get_bound_profile_package_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	return esim_esipa_parse_get_bound_profile_package_response (answer, eim_error, error);
}

static gpointer
parse_get_bound_profile_package_json (GBytes *answer, gint *eim_error, GError **error)
{
	gsize len;
	const gchar *text = answer_text (answer, &len);

	return esim_esipa_json_parse_get_bound_profile_package_response (text, len, NULL, error);
}

/* cancelSessionOk carries nothing: any non-NULL pointer is success. */
static gpointer
parse_cancel_session_asn1 (GBytes *answer, gint *eim_error, GError **error)
{
	return esim_esipa_parse_cancel_session_response (answer, eim_error, error) ?
	       GINT_TO_POINTER (1) : NULL;
}

static gpointer
parse_cancel_session_json (GBytes *answer, gint *eim_error, GError **error)
{
	gsize len;
	const gchar *text = answer_text (answer, &len);

	return esim_esipa_json_parse_cancel_session_response (text, len, NULL, error) ?
	       GINT_TO_POINTER (1) : NULL;
}

static const EsipaFunction get_eim_package = {
	"GetEimPackage", "getEimPackage", ESIM_HTTP_LIMIT_JSON, FALSE, FALSE,
	parse_get_eim_package_asn1, parse_get_eim_package_json,
	(GDestroyNotify) esim_eim_package_free,
};
static const EsipaFunction provide_eim_package_result = {
	"ProvideEimPackageResult", "provideEimPackageResult", ESIM_HTTP_LIMIT_JSON, TRUE, TRUE,
	parse_provide_asn1, parse_provide_json,
	(GDestroyNotify) esim_provide_result_response_free,
};
static const EsipaFunction handle_notification = {
	"HandleNotification", "handleNotification", ESIM_HTTP_LIMIT_JSON, TRUE, TRUE,
	parse_handle_notification_asn1, parse_handle_notification_json, NULL,
};
static const EsipaFunction handle_notification_result = {
	"HandleNotification", "handleNotification", ESIM_HTTP_LIMIT_JSON, TRUE, TRUE,
	parse_provide_asn1, parse_provide_json,
	(GDestroyNotify) esim_provide_result_response_free,
};
static const EsipaFunction initiate_authentication = {
	"InitiateAuthentication", "initiateAuthentication", ESIM_HTTP_LIMIT_JSON, FALSE, FALSE,
	parse_initiate_authentication_asn1, parse_initiate_authentication_json,
	(GDestroyNotify) esim_initiate_authentication_ok_free,
};
static const EsipaFunction authenticate_client = {
	"AuthenticateClient", "authenticateClient", ESIM_HTTP_LIMIT_JSON, FALSE, FALSE,
	parse_authenticate_client_asn1, parse_authenticate_client_json,
	(GDestroyNotify) esim_authenticate_client_ok_free,
};
static const EsipaFunction get_bound_profile_package = {
	"GetBoundProfilePackage", "getBoundProfilePackage", ESIM_HTTP_LIMIT_BPP, FALSE, FALSE,
	parse_get_bound_profile_package_asn1, parse_get_bound_profile_package_json,
	(GDestroyNotify) esim_bound_profile_package_ok_free,
};
static const EsipaFunction cancel_session = {
	"CancelSession", "cancelSession", ESIM_HTTP_LIMIT_JSON, TRUE, FALSE,
	parse_cancel_session_asn1, parse_cancel_session_json, NULL,
};

/* ------------------------------------------------------------------------ */
/* one call, with its repeats */

typedef struct {
	EsimEsipaClient     *client;
	const EsipaFunction *function;
	GBytes              *body;
	gchar               *path;
	const gchar         *content_type;
	guint                attempt;      /* 1 for the first */
	gint                 eim_error;    /* the eIM's code of a refusal, else -1 */
} EsipaCall;

static void
esipa_call_free (EsipaCall *call)
{
	g_object_unref (call->client);
	g_bytes_unref (call->body);
	g_free (call->path);
	g_free (call);
}

static void esipa_call_send (GTask *task);

/* Whether a failed attempt is made again (see the header for the rule). */
static gboolean
may_repeat (EsipaCall *call, const GError *error, gboolean sent, guint status)
{
	if (call->attempt >= call->client->attempts)
		return FALSE;
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
	    g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) ||
	    g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE) ||
	    g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
		return FALSE;
	/* the eIM refused the request itself: the same request gets the same answer */
	if (status >= 400 && status < 500)
		return FALSE;
	return !sent || call->function->repeatable;
}

static gboolean
esipa_call_retry_due (gpointer user_data)
{
	GTask *task = user_data;

	if (!g_task_return_error_if_cancelled (task))
		esipa_call_send (task);
	return G_SOURCE_REMOVE;
}

static gboolean
esipa_call_cancelled (GCancellable *cancellable, gpointer user_data)
{
	/* the parent (the delay) dispatches too and ends the wait */
	return G_SOURCE_CONTINUE;
}

/* Waits before the next attempt; a cancellation ends the wait at once. */
static void
esipa_call_schedule_repeat (GTask *task, const GError *error)
{
	EsipaCall *call = g_task_get_task_data (task);
	guint delay = call->client->retry_delay << MIN (call->attempt - 1, 8u);
	g_autoptr(GSource) source = g_timeout_source_new_seconds (delay);
	GCancellable *cancellable = g_task_get_cancellable (task);

	g_info ("eIM %s: %s failed (%s); trying again in %u s (attempt %u of %u)",
	        call->client->eim_id, call->function->name, error->message, delay, call->attempt + 1,
	        call->client->attempts);
	if (cancellable != NULL) {
		g_autoptr(GSource) cancelled = g_cancellable_source_new (cancellable);

		g_source_set_callback (cancelled, (GSourceFunc) (GCallback) esipa_call_cancelled, NULL,
		                       NULL);
		g_source_add_child_source (source, cancelled);
	}
	call->attempt++;
	g_task_attach_source (task, source, esipa_call_retry_due);
}

static void
esipa_call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	EsipaCall *call = g_task_get_task_data (task);
	EsimHttpClient *http = ESIM_HTTP_CLIENT (source);
	const EsipaFunction *function = call->function;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) answer = NULL;
	guint status = 0;
	gpointer result;

	answer = esim_http_client_post_finish (http, res, &status, &error);
	if (answer == NULL) {
		if (may_repeat (call, error, esim_http_client_post_was_sent (http, res), status)) {
			esipa_call_schedule_repeat (task, error);
			return;
		}
		/* an empty answer where data is due is a malformed one */
		if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)) {
			g_task_return_new_error (task, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED,
			                         "%s", error->message);
			return;
		}
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	result = (call->client->binding == ESIM_ESIPA_BINDING_ASN1 ? function->parse_asn1
	                                                           : function->parse_json) (
		answer, &call->eim_error, &error);
	if (result == NULL) {
		g_debug ("eIM %s: %s: %s", call->client->eim_id, function->name, error->message);
		g_task_return_error (task, g_steal_pointer (&error));
		return;
	}
	g_task_return_pointer (task, result, function->free_result);
}

static void
esipa_call_send (GTask *task)
{
	static const gchar *const headers[] = {
		"X-Admin-Protocol", ESIM_ESIPA_ADMIN_PROTOCOL,
		NULL,
	};
	EsipaCall *call = g_task_get_task_data (task);

	esim_http_client_post_async (call->client->http, call->path, call->content_type, call->body,
	                             headers, call->function->max_answer,
	                             call->function->empty_answer_ok ? ESIM_HTTP_POST_EMPTY_ANSWER_OK
	                                                             : ESIM_HTTP_POST_NONE,
	                             g_task_get_cancellable (task), esipa_call_done,
	                             g_object_ref (task));
}

/* Sends @body (taken; NULL: the request could not be built and @build_error,
 * taken, says why) as @function, for a task of @source_object. */
static void
esipa_call (EsimEsipaClient *self, gpointer source_object, const EsipaFunction *function,
            GBytes *body, GError *build_error, gpointer source_tag, GCancellable *cancellable,
            GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (source_object, cancellable, callback, user_data);
	EsipaCall *call;

	g_task_set_source_tag (task, source_tag);
	if (body == NULL) {
		g_task_return_error (task, build_error);
		return;
	}
	call = g_new0 (EsipaCall, 1);
	call->client = g_object_ref (self);
	call->function = function;
	call->body = body;
	call->attempt = 1;
	call->eim_error = -1;
	if (self->binding == ESIM_ESIPA_BINDING_ASN1) {
		call->path = g_strdup (self->asn1_path);
		call->content_type = ESIM_ESIPA_CONTENT_TYPE_ASN1;
	} else {
		call->path = g_strconcat (self->json_prefix, function->json_function, NULL);
		call->content_type = ESIM_ESIPA_JSON_CONTENT_TYPE;
	}
	g_task_set_task_data (task, call, (GDestroyNotify) esipa_call_free);
	esipa_call_send (task);
}

static gpointer
esipa_finish (gpointer source_object, GAsyncResult *res, gpointer source_tag, gint *eim_error,
              GError **error)
{
	EsipaCall *call;

	g_return_val_if_fail (g_task_is_valid (res, source_object), NULL);
	g_return_val_if_fail (g_task_get_source_tag (G_TASK (res)) == source_tag, NULL);

	call = g_task_get_task_data (G_TASK (res));
	if (eim_error != NULL)
		*eim_error = call != NULL ? call->eim_error : -1;
	return g_task_propagate_pointer (G_TASK (res), error);
}

/* JSON text (taken) as a body; NULL stays NULL. */
static GBytes *
json_body (gchar *json)
{
	return json != NULL ? g_bytes_new_take (json, strlen (json)) : NULL;
}

/* ------------------------------------------------------------------------ */
/* IPA-initiated */

void
esim_esipa_client_get_eim_package_async (EsimEsipaClient *self,
                                         const EsimGetEimPackageRequest *request,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data)
{
	GError *error = NULL;
	GBytes *body;

	g_return_if_fail (ESIM_IS_ESIPA_CLIENT (self));
	g_return_if_fail (request != NULL);

	if (self->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_get_eim_package (request, &error);
	else
		body = json_body (esim_esipa_json_build_get_eim_package (request, &error));
	esipa_call (self, self, &get_eim_package, body, error,
	            esim_esipa_client_get_eim_package_async, cancellable, callback, user_data);
}

EsimEimPackage *
esim_esipa_client_get_eim_package_finish (EsimEsipaClient *self, GAsyncResult *res,
                                          gint *eim_error, GError **error)
{
	return esipa_finish (self, res, esim_esipa_client_get_eim_package_async, eim_error, error);
}

void
esim_esipa_client_provide_eim_package_result_async (EsimEsipaClient *self, const gchar *eid,
                                                    const EsimEimPackageResult *result,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data)
{
	GError *error = NULL;
	GBytes *body;

	g_return_if_fail (ESIM_IS_ESIPA_CLIENT (self));
	g_return_if_fail (result != NULL);

	if (self->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_provide_eim_package_result (eid, result, &error);
	else
		body = json_body (esim_esipa_json_build_provide_eim_package_result (eid, result, &error));
	esipa_call (self, self, &provide_eim_package_result, body, error,
	            esim_esipa_client_provide_eim_package_result_async, cancellable, callback,
	            user_data);
}

EsimProvideResultResponse *
esim_esipa_client_provide_eim_package_result_finish (EsimEsipaClient *self, GAsyncResult *res,
                                                     gint *eim_error, GError **error)
{
	return esipa_finish (self, res, esim_esipa_client_provide_eim_package_result_async,
	                     eim_error, error);
}

void
esim_esipa_client_handle_notification_async (EsimEsipaClient *self, GBytes *pending_notification,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data)
{
	GError *error = NULL;
	GBytes *body;

	g_return_if_fail (ESIM_IS_ESIPA_CLIENT (self));
	g_return_if_fail (pending_notification != NULL);

	if (self->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_handle_notification (pending_notification, &error);
	else
		body = json_body (esim_esipa_json_build_handle_notification (pending_notification,
		                                                             &error));
	esipa_call (self, self, &handle_notification, body, error,
	            esim_esipa_client_handle_notification_async, cancellable, callback, user_data);
}

gboolean
esim_esipa_client_handle_notification_finish (EsimEsipaClient *self, GAsyncResult *res,
                                              GError **error)
{
	return esipa_finish (self, res, esim_esipa_client_handle_notification_async, NULL,
	                     error) != NULL;
}

void
esim_esipa_client_handle_notification_result_async (EsimEsipaClient *self, const gchar *eid,
                                                    const EsimEimPackageResult *result,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data)
{
	GError *error = NULL;
	GBytes *body;

	g_return_if_fail (ESIM_IS_ESIPA_CLIENT (self));
	g_return_if_fail (result != NULL);

	if (self->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_handle_notification_result (eid, result, &error);
	else
		body = json_body (esim_esipa_json_build_handle_notification_result (eid, result,
		                                                                    &error));
	esipa_call (self, self, &handle_notification_result, body, error,
	            esim_esipa_client_handle_notification_result_async, cancellable, callback,
	            user_data);
}

EsimProvideResultResponse *
esim_esipa_client_handle_notification_result_finish (EsimEsipaClient *self, GAsyncResult *res,
                                                     gint *eim_error, GError **error)
{
	return esipa_finish (self, res, esim_esipa_client_handle_notification_result_async,
	                     eim_error, error);
}

/* ------------------------------------------------------------------------ */
/* eIM-initiated */

GBytes *
esim_esipa_client_encode_transfer_response (EsimEsipaClient *self,
                                            const EsimTransferEimPackageResponse *response,
                                            const gchar **content_type, GError **error)
{
	g_return_val_if_fail (ESIM_IS_ESIPA_CLIENT (self), NULL);
	g_return_val_if_fail (response != NULL, NULL);

	if (self->binding == ESIM_ESIPA_BINDING_ASN1) {
		if (content_type != NULL)
			*content_type = ESIM_ESIPA_CONTENT_TYPE_ASN1;
		return esim_esipa_encode_transfer_eim_package_response (response, error);
	}
	if (content_type != NULL)
		*content_type = ESIM_ESIPA_JSON_CONTENT_TYPE;
	return json_body (esim_esipa_json_build_transfer_eim_package_response (response, error));
}

/* ------------------------------------------------------------------------ */
/* the download relay: an EsimRspServer per indirect download */

#define ESIM_TYPE_ESIPA_RELAY (esim_esipa_relay_get_type ())
G_DECLARE_FINAL_TYPE (EsimEsipaRelay, esim_esipa_relay, ESIM, ESIPA_RELAY, GObject)

struct _EsimEsipaRelay {
	GObject parent_instance;
	EsimEsipaClient *client;
	gchar *eim_transaction_id;   /* nullable */
	gchar *description;
};

static void esim_esipa_relay_rsp_server_init (EsimRspServerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (EsimEsipaRelay, esim_esipa_relay, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_RSP_SERVER,
                                                esim_esipa_relay_rsp_server_init))

static const gchar *
relay_get_description (EsimRspServer *server)
{
	return ESIM_ESIPA_RELAY (server)->description;
}

static void
relay_initiate_authentication_async (EsimRspServer *server, GBytes *euicc_challenge,
                                     GBytes *euicc_info1, const gchar *smdp_address,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data)
{
	EsimEsipaRelay *self = ESIM_ESIPA_RELAY (server);
	EsimEsipaClient *client = self->client;
	GError *error = NULL;
	GBytes *body;

	if (client->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_initiate_authentication (euicc_challenge, euicc_info1,
		                                                  smdp_address,
		                                                  self->eim_transaction_id, &error);
	else
		body = json_body (esim_esipa_json_build_initiate_authentication (euicc_challenge,
		                                                                 euicc_info1,
		                                                                 smdp_address,
		                                                                 self->eim_transaction_id,
		                                                                 &error));
	esipa_call (client, self, &initiate_authentication, body, error,
	            relay_initiate_authentication_async, cancellable, callback, user_data);
}

static EsimInitiateAuthenticationOk *
relay_initiate_authentication_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return esipa_finish (server, res, relay_initiate_authentication_async, NULL, error);
}

static void
relay_authenticate_client_async (EsimRspServer *server, const gchar *transaction_id,
                                 GBytes *authenticate_server_response, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
	EsimEsipaRelay *self = ESIM_ESIPA_RELAY (server);
	EsimEsipaClient *client = self->client;
	GError *error = NULL;
	GBytes *body;

	if (client->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_authenticate_client (transaction_id,
		                                              authenticate_server_response, &error);
	else
		body = json_body (esim_esipa_json_build_authenticate_client (transaction_id,
		                                                             authenticate_server_response,
		                                                             &error));
	esipa_call (client, self, &authenticate_client, body, error,
	            relay_authenticate_client_async, cancellable, callback, user_data);
}

static EsimAuthenticateClientOk *
relay_authenticate_client_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return esipa_finish (server, res, relay_authenticate_client_async, NULL, error);
}

static void
relay_get_bound_profile_package_async (EsimRspServer *server, const gchar *transaction_id,
                                       GBytes *prepare_download_response,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
	EsimEsipaRelay *self = ESIM_ESIPA_RELAY (server);
	EsimEsipaClient *client = self->client;
	GError *error = NULL;
	GBytes *body;

	if (client->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_get_bound_profile_package (transaction_id,
		                                                    prepare_download_response, &error);
	else
		body = json_body (esim_esipa_json_build_get_bound_profile_package (
			transaction_id, prepare_download_response, &error));
	esipa_call (client, self, &get_bound_profile_package, body, error,
	            relay_get_bound_profile_package_async, cancellable, callback, user_data);
}

static EsimBoundProfilePackageOk *
relay_get_bound_profile_package_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return esipa_finish (server, res, relay_get_bound_profile_package_async, NULL, error);
}

static void
relay_cancel_session_async (EsimRspServer *server, const gchar *transaction_id,
                            GBytes *cancel_session_response, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
	EsimEsipaRelay *self = ESIM_ESIPA_RELAY (server);
	EsimEsipaClient *client = self->client;
	GError *error = NULL;
	GBytes *body;

	if (client->binding == ESIM_ESIPA_BINDING_ASN1)
		body = esim_esipa_encode_cancel_session (transaction_id, cancel_session_response,
		                                         &error);
	else
		body = json_body (esim_esipa_json_build_cancel_session (transaction_id,
		                                                        cancel_session_response,
		                                                        &error));
	esipa_call (client, self, &cancel_session, body, error, relay_cancel_session_async,
	            cancellable, callback, user_data);
}

static gboolean
relay_cancel_session_finish (EsimRspServer *server, GAsyncResult *res, GError **error)
{
	return esipa_finish (server, res, relay_cancel_session_async, NULL, error) != NULL;
}

static void
esim_esipa_relay_rsp_server_init (EsimRspServerInterface *iface)
{
	iface->get_description = relay_get_description;
	iface->initiate_authentication_async = relay_initiate_authentication_async;
	iface->initiate_authentication_finish = relay_initiate_authentication_finish;
	iface->authenticate_client_async = relay_authenticate_client_async;
	iface->authenticate_client_finish = relay_authenticate_client_finish;
	iface->get_bound_profile_package_async = relay_get_bound_profile_package_async;
	iface->get_bound_profile_package_finish = relay_get_bound_profile_package_finish;
	iface->cancel_session_async = relay_cancel_session_async;
	iface->cancel_session_finish = relay_cancel_session_finish;
}

static void
esim_esipa_relay_finalize (GObject *object)
{
	EsimEsipaRelay *self = ESIM_ESIPA_RELAY (object);

	g_clear_object (&self->client);
	g_free (self->eim_transaction_id);
	g_free (self->description);
	G_OBJECT_CLASS (esim_esipa_relay_parent_class)->finalize (object);
}

static void
esim_esipa_relay_class_init (EsimEsipaRelayClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = esim_esipa_relay_finalize;
}

static void
esim_esipa_relay_init (EsimEsipaRelay *self)
{
}

EsimRspServer *
esim_esipa_client_new_relay (EsimEsipaClient *self, const gchar *eim_transaction_id)
{
	EsimEsipaRelay *relay;

	g_return_val_if_fail (ESIM_IS_ESIPA_CLIENT (self), NULL);

	relay = g_object_new (ESIM_TYPE_ESIPA_RELAY, NULL);
	relay->client = g_object_ref (self);
	relay->eim_transaction_id = g_strdup (eim_transaction_id);
	relay->description = g_strdup_printf ("eIM %s (relay)", self->eim_id);
	return ESIM_RSP_SERVER (relay);
}

/* ------------------------------------------------------------------------ */
/* object */

const gchar *
esim_esipa_binding_to_string (EsimEsipaBinding binding)
{
	return binding == ESIM_ESIPA_BINDING_JSON ? "json" : "asn1";
}

gboolean
esim_esipa_binding_from_string (const gchar *name, EsimEsipaBinding *binding)
{
	g_return_val_if_fail (binding != NULL, FALSE);

	if (g_strcmp0 (name, "asn1") == 0)
		*binding = ESIM_ESIPA_BINDING_ASN1;
	else if (g_strcmp0 (name, "json") == 0)
		*binding = ESIM_ESIPA_BINDING_JSON;
	else
		return FALSE;
	return TRUE;
}

static void
esim_esipa_client_finalize (GObject *object)
{
	EsimEsipaClient *self = ESIM_ESIPA_CLIENT (object);

	g_clear_object (&self->http);
	g_free (self->eim_id);
	g_free (self->asn1_path);
	g_free (self->json_prefix);
	G_OBJECT_CLASS (esim_esipa_client_parent_class)->finalize (object);
}

static void
esim_esipa_client_class_init (EsimEsipaClientClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = esim_esipa_client_finalize;
}

static void
esim_esipa_client_init (EsimEsipaClient *self)
{
}

/* A path option: absolute, one line. */
static gboolean
check_path (const gchar *path, const gchar *what, GError **error)
{
	if (path[0] == '/' && strpbrk (path, " \t\r\n?#") == NULL)
		return TRUE;
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
	             "the ESipa %s \"%s\" is not an absolute URL path", what, path);
	return FALSE;
}

EsimEsipaClient *
esim_esipa_client_new (const EsimEimConfig *config, const EsimEsipaClientOptions *options,
                       GError **error)
{
	static const EsimEsipaClientOptions defaults = { 0 };
	g_autoptr(EsimEsipaClient) self = NULL;
	g_autoptr(GTlsDatabase) database = NULL;
	const gchar *eim_id;

	g_return_val_if_fail (config != NULL, NULL);

	if (options == NULL)
		options = &defaults;
	eim_id = config->eim_id != NULL ? config->eim_id : "(no id)";
	if (config->fqdn == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "the eIM %s has no eimFqdn: there is nowhere to reach it", eim_id);
		return NULL;
	}
	/* eimSupportedProtocol: absent means retrieval over HTTPS (SGP.32 default) */
	if (config->supported_protocols != 0 &&
	    !(config->supported_protocols &
	      (ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS | ESIM_EIM_PROTOCOL_INJECT_HTTPS))) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "the eIM %s offers ESipa over neither HTTPS retrieval nor HTTPS "
		             "injection (eimSupportedProtocol)", eim_id);
		return NULL;
	}
	if ((options->asn1_path != NULL && !check_path (options->asn1_path, "path", error)) ||
	    (options->json_prefix != NULL && !check_path (options->json_prefix, "JSON prefix", error)))
		return NULL;
	database = esim_eim_tls_database_new (config->trusted_tls_kind, config->trusted_tls,
	                                      options->ca_file, error);
	if (database == NULL) {
		g_prefix_error (error, "eIM %s: ", eim_id);
		return NULL;
	}
	self = g_object_new (ESIM_TYPE_ESIPA_CLIENT, NULL);
	self->http = esim_http_client_new (config->fqdn, "eIM", database, error);
	if (self->http == NULL) {
		g_prefix_error (error, "eIM %s: ", eim_id);
		return NULL;
	}
	self->eim_id = g_strdup (eim_id);
	self->binding = options->binding;
	self->asn1_path = g_strdup (options->asn1_path != NULL ? options->asn1_path
	                                                       : ESIM_ESIPA_PATH_ASN1);
	self->json_prefix = g_strdup (options->json_prefix != NULL ? options->json_prefix
	                                                           : ESIM_ESIPA_JSON_PREFIX);
	self->attempts = options->attempts != 0 ? options->attempts : ESIM_ESIPA_DEFAULT_ATTEMPTS;
	self->retry_delay = options->retry_delay != 0 ? options->retry_delay
	                                              : ESIM_ESIPA_DEFAULT_RETRY_DELAY;
	esim_http_client_set_timeout (self->http, options->timeout != 0 ? options->timeout
	                                                                : ESIM_ESIPA_DEFAULT_TIMEOUT);
	g_debug ("eIM %s: ESipa %s binding at https://%s, trust: %s", self->eim_id,
	         esim_esipa_binding_to_string (self->binding), config->fqdn,
	         esim_eim_tls_database_get_source (ESIM_EIM_TLS_DATABASE (database)));
	return g_steal_pointer (&self);
}

const gchar *
esim_esipa_client_get_eim_id (EsimEsipaClient *self)
{
	g_return_val_if_fail (ESIM_IS_ESIPA_CLIENT (self), NULL);
	return self->eim_id;
}

const gchar *
esim_esipa_client_get_address (EsimEsipaClient *self)
{
	g_return_val_if_fail (ESIM_IS_ESIPA_CLIENT (self), NULL);
	return esim_http_client_get_address (self->http);
}

EsimEsipaBinding
esim_esipa_client_get_binding (EsimEsipaClient *self)
{
	g_return_val_if_fail (ESIM_IS_ESIPA_CLIENT (self), ESIM_ESIPA_BINDING_ASN1);
	return self->binding;
}

EsimHttpClient *
esim_esipa_client_get_http (EsimEsipaClient *self)
{
	g_return_val_if_fail (ESIM_IS_ESIPA_CLIENT (self), NULL);
	return self->http;
}

void
esim_esipa_client_end_procedure (EsimEsipaClient *self)
{
	g_return_if_fail (ESIM_IS_ESIPA_CLIENT (self));
	esim_http_client_close (self->http);
}
