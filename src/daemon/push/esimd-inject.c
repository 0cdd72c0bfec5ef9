/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <string.h>

#include <libsoup/soup.h>

#include "esim-esipa-json.h"
#include "esim-util.h"
#include "esimd-inject.h"

/* ---- targets and requests ---- */

EsimdInjectTarget *
esimd_inject_target_new (const gchar *eid, const gchar *eim_id, GTlsDatabase *tls_trust,
                         const gchar *fqdn)
{
	EsimdInjectTarget *target = g_new0 (EsimdInjectTarget, 1);
	g_autoptr(GSocketConnectable) address = NULL;

	target->eid = g_strdup (eid);
	target->eim_id = g_strdup (eim_id);
	target->tls_trust = tls_trust != NULL ? g_object_ref (tls_trust) : NULL;
	if (fqdn != NULL)
		address = g_network_address_parse (fqdn, 443, NULL);
	if (address != NULL)
		target->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
	return target;
}

void
esimd_inject_target_free (EsimdInjectTarget *target)
{
	if (target == NULL)
		return;
	g_free (target->eid);
	g_free (target->eim_id);
	g_clear_object (&target->tls_trust);
	g_free (target->host);
	g_free (target);
}

struct _EsimdInjectServer {
	GObject             parent_instance;
	SoupServer         *server;
	EsimdInjectHandler  handler;
	gpointer            handler_data;
	gsize               max_body;
	guint               read_timeout_s;
	guint16             port;
};

G_DEFINE_TYPE (EsimdInjectServer, esimd_inject_server, G_TYPE_OBJECT)

struct _EsimdInjectRequest {
	EsimdInjectServer  *server;   /* a reference: answers after a stop go nowhere */
	SoupServerMessage  *msg;
	EsimdInjectBinding  binding;
	gchar              *peer;
	gchar              *eid;
	gchar              *eim_id;
	EsimEimPackage     *package;
};

/* What the listener keeps per HTTP request, on the message. */
typedef struct {
	EsimdInjectServer *server;    /* not a reference: the server outlives its messages' io */
	SoupServerMessage *msg;       /* not a reference: this lives on it */
	guint              timeout_id;
	gsize              received;  /* body bytes so far */
	gboolean           aborted;
} InjectExchange;

#define INJECT_EXCHANGE_KEY "esimd-inject-exchange"

static void
inject_request_free (EsimdInjectRequest *request)
{
	g_clear_object (&request->server);
	g_clear_object (&request->msg);
	g_free (request->peer);
	g_free (request->eid);
	g_free (request->eim_id);
	g_clear_pointer (&request->package, esim_eim_package_free);
	g_free (request);
}

const gchar *
esimd_inject_request_get_eid (EsimdInjectRequest *request)
{
	return request->eid;
}

const gchar *
esimd_inject_request_get_eim_id (EsimdInjectRequest *request)
{
	return request->eim_id;
}

const EsimEimPackage *
esimd_inject_request_get_package (EsimdInjectRequest *request)
{
	return request->package;
}

EsimdInjectBinding
esimd_inject_request_get_binding (EsimdInjectRequest *request)
{
	return request->binding;
}

static const gchar *
inject_package_name (const EsimEimPackage *package)
{
	switch (package->kind) {
	case ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST:
		return "euiccPackageRequest";
	case ESIM_EIM_PACKAGE_IPA_EUICC_DATA_REQUEST:
		return "ipaEuiccDataRequest";
	case ESIM_EIM_PACKAGE_PROFILE_DOWNLOAD_TRIGGER:
		return "profileDownloadTriggerRequest";
	case ESIM_EIM_PACKAGE_ACKNOWLEDGEMENTS:
		return "eimAcknowledgements";
	case ESIM_EIM_PACKAGE_ERROR:
	default:
		return "eimPackageError";
	}
}

/* An answer without an ESipa body (refusals, bad input). */
static void
inject_answer_status (SoupServerMessage *msg, guint status)
{
	soup_server_message_set_status (msg, status, NULL);
	soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static GBytes *
inject_encode (EsimdInjectBinding binding, const EsimTransferEimPackageResponse *response,
               const gchar **content_type, GError **error)
{
	gchar *text;

	if (binding == ESIMD_INJECT_BINDING_ASN1) {
		*content_type = ESIM_ESIPA_CONTENT_TYPE_ASN1;
		return esim_esipa_encode_transfer_eim_package_response (response, error);
	}
	*content_type = ESIM_ESIPA_JSON_CONTENT_TYPE;
	text = esim_esipa_json_build_transfer_eim_package_response (response, error);
	return text != NULL ? g_bytes_new_take (text, strlen (text)) : NULL;
}

static void
inject_request_answer (EsimdInjectRequest *request, const EsimTransferEimPackageResponse *response)
{
	EsimTransferEimPackageResponse fallback = {
		.kind = ESIM_TRANSFER_RESPONSE_ERROR,
		.error_code = ESIM_ESIPA_UNDEFINED_ERROR,
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;
	const gchar *content_type = NULL;
	SoupMessageHeaders *headers;

	body = inject_encode (request->binding, response, &content_type, &error);
	if (body == NULL) {
		g_warning ("inject from %s: cannot encode the answer: %s; answering undefinedError",
		           request->peer, error->message);
		body = inject_encode (request->binding, &fallback, &content_type, NULL);
	}
	if (request->server->server == NULL) {
		g_debug ("inject from %s: answered after the listener stopped", request->peer);
		return;
	}
	headers = soup_server_message_get_response_headers (request->msg);
	soup_message_headers_replace (headers, "X-Admin-Protocol", ESIM_ESIPA_ADMIN_PROTOCOL);
	soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response (request->msg, content_type, SOUP_MEMORY_COPY,
	                                  g_bytes_get_data (body, NULL), g_bytes_get_size (body));
	soup_server_message_unpause (request->msg);
}

void
esimd_inject_request_return (EsimdInjectRequest *request,
                             const EsimTransferEimPackageResponse *response)
{
	g_return_if_fail (request != NULL);
	g_return_if_fail (response != NULL);

	inject_request_answer (request, response);
	inject_request_free (request);
}

void
esimd_inject_request_return_error (EsimdInjectRequest *request, const GError *error)
{
	EsimTransferEimPackageResponse response = {
		.kind = ESIM_TRANSFER_RESPONSE_ERROR,
		.error_code = ESIM_ESIPA_UNDEFINED_ERROR,
	};

	g_return_if_fail (request != NULL);

	g_warning ("inject from %s: %s for eIM \"%s\" failed: %s; answering undefinedError",
	           request->peer, inject_package_name (request->package), request->eim_id,
	           error != NULL ? error->message : "no reason given");
	inject_request_answer (request, &response);
	inject_request_free (request);
}

/* ---- parsing ---- */

EsimEimPackage *
esimd_inject_parse_body (EsimdInjectBinding binding, const guint8 *body, gsize len,
                         gsize max_body, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	EsimEimPackage *package;

	if (max_body == 0)
		max_body = ESIMD_INJECT_MAX_BODY;
	if (len > max_body) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
		             "a body of %" G_GSIZE_FORMAT " bytes (at most %" G_GSIZE_FORMAT ")", len,
		             max_body);
		return NULL;
	}
	if (binding == ESIMD_INJECT_BINDING_JSON)
		return esim_esipa_json_parse_transfer_eim_package_request ((const gchar *) body, len,
		                                                           error);
	bytes = g_bytes_new (body, len);
	package = esim_esipa_parse_transfer_eim_package_request (bytes, error);
	/* the ASN.1 codec knows eimPackageError only in GetEimPackageResponse, but be sure */
	if (package != NULL && package->kind == ESIM_EIM_PACKAGE_ERROR) {
		esim_eim_package_free (package);
		g_set_error_literal (error, ESIM_ESIPA_ERROR, ESIM_ESIPA_ERROR_MALFORMED,
		                     "TransferEimPackageRequest: an eimPackageError is no package");
		return NULL;
	}
	return package;
}

/* ---- who is it for ---- */

/* euiccPackageRequest: the eUICC of its EID with its eimId configured. */
static gboolean
inject_resolve_signed (EsimdInjectRequest *request, GPtrArray *targets, gchar **why)
{
	const EsimEuiccPackageRequest *epr = request->package->euicc_package_request;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *masked = NULL;
	gboolean eim_known = FALSE;

	if (epr->eid != NULL)
		eid = esim_eid_from_bytes (g_bytes_get_data (epr->eid, NULL), g_bytes_get_size (epr->eid),
		                           NULL);
	for (guint i = 0; i < targets->len; i++) {
		EsimdInjectTarget *target = g_ptr_array_index (targets, i);

		if (g_strcmp0 (target->eim_id, epr->eim_id) != 0)
			continue;
		eim_known = TRUE;
		if (eid != NULL && g_strcmp0 (target->eid, eid) == 0) {
			request->eid = g_strdup (target->eid);
			request->eim_id = g_strdup (target->eim_id);
			return TRUE;
		}
	}
	masked = esim_log_personal (eid);
	*why = eim_known
	       ? g_strdup_printf ("eIM \"%s\" is not configured on an eUICC with EID %s", epr->eim_id,
	                          eid != NULL ? masked : "(not a valid EID)")
	       : g_strdup_printf ("eIM \"%s\" is configured on none of our eUICCs", epr->eim_id);
	return FALSE;
}

/* The unsigned packages: the eIM whose TLS trust verifies the client's certificate. */
static gboolean
inject_resolve_by_certificate (EsimdInjectRequest *request, GPtrArray *targets, gchar **why)
{
	GTlsCertificate *peer = soup_server_message_get_tls_peer_certificate (request->msg);
	EsimdInjectTarget *found = NULL;
	guint n_found = 0;

	if (peer == NULL) {
		*why = g_strdup_printf ("an unsigned %s needs the eIM's TLS client certificate, and "
		                        "the client showed none", inject_package_name (request->package));
		return FALSE;
	}
	for (guint i = 0; i < targets->len; i++) {
		EsimdInjectTarget *target = g_ptr_array_index (targets, i);
		GTlsCertificateFlags errors;

		g_autoptr(GSocketConnectable) identity = NULL;

		if (target->tls_trust == NULL)
			continue;
		/* the certificate the eIM's server would be trusted by: a CA vouches only for
		 * the eIM's name (a pinned key or certificate is the eIM whatever it names);
		 * without an eimFqdn a name no CA certifies (RFC 6761 .invalid) */
		identity = g_network_address_new (target->host != NULL ? target->host
		                                                       : "eim-without-fqdn.invalid", 443);
		errors = g_tls_database_verify_chain (target->tls_trust, peer,
		                                      G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
		                                      identity, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL,
		                                      NULL);
		if (errors != 0)
			continue;
		n_found++;
		found = target;
	}
	if (n_found == 1) {
		request->eid = g_strdup (found->eid);
		request->eim_id = g_strdup (found->eim_id);
		return TRUE;
	}
	*why = n_found == 0
	       ? g_strdup ("the client's TLS certificate is that of none of the eIMs configured")
	       : g_strdup_printf ("the client's TLS certificate is trusted by %u eIM configurations, "
	                          "and an unsigned package does not say which eUICC it is for",
	                          n_found);
	return FALSE;
}

/* ---- the HTTP side ---- */

static void
inject_exchange_free (InjectExchange *exchange)
{
	if (exchange->timeout_id != 0)
		g_source_remove (exchange->timeout_id);
	g_free (exchange);
}

/* Drops the connection under a client that misbehaves while sending (too slow,
 * too much): libsoup's reads fail and it lets the message go. */
static void
inject_exchange_abort (InjectExchange *exchange, const gchar *why)
{
	GSocket *socket = soup_server_message_get_socket (exchange->msg);

	if (exchange->aborted)
		return;
	exchange->aborted = TRUE;
	g_warning ("inject from %s: %s: disconnected",
	           soup_server_message_get_remote_host (exchange->msg) != NULL
	           ? soup_server_message_get_remote_host (exchange->msg) : "?", why);
	if (socket != NULL)
		g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

static gboolean
inject_exchange_timeout_cb (gpointer user_data)
{
	InjectExchange *exchange = user_data;
	g_autofree gchar *why = g_strdup_printf ("no complete request within %u s",
	                                         exchange->server->read_timeout_s);

	exchange->timeout_id = 0;
	inject_exchange_abort (exchange, why);
	return G_SOURCE_REMOVE;
}

static void
inject_got_chunk_cb (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	InjectExchange *exchange = user_data;

	/* already refused on its Content-Length: read to the end (the read timeout
	 * bounds it) and forgotten, so the 413 reaches the client */
	if (soup_server_message_get_status (msg) != 0)
		return;
	exchange->received += g_bytes_get_size (chunk);
	if (exchange->received > exchange->server->max_body)
		inject_exchange_abort (exchange, "a request body over the size limit");
}

static void
inject_got_headers_cb (SoupServerMessage *msg, gpointer user_data)
{
	InjectExchange *exchange = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
	goffset length = soup_message_headers_get_content_length (headers);

	/* refused before the body is read */
	if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
	    length > (goffset) exchange->server->max_body) {
		g_warning ("inject from %s: a body of %" G_GOFFSET_FORMAT " bytes (at most %"
		           G_GSIZE_FORMAT "): 413", soup_server_message_get_remote_host (msg), length,
		           exchange->server->max_body);
		inject_answer_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
		soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
	}
}

/* glib-networking takes a client certificate only when "accept-certificate"
 * says so, whatever a database finds (gtlsconnection-base.c
 * accept_or_reject_peer_certificate), and libsoup hands the signal to the
 * message.  The handshake proves only that the client holds the key of the
 * certificate it shows; which eIM it is, if any, is decided per request
 * against the trust of the eIM the package is for
 * (inject_resolve_by_certificate). */
static gboolean
inject_accept_certificate_cb (SoupServerMessage *msg, GTlsCertificate *certificate,
                              GTlsCertificateFlags errors, gpointer user_data)
{
	return TRUE;
}

static void
inject_request_started_cb (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	EsimdInjectServer *self = user_data;
	InjectExchange *exchange = g_new0 (InjectExchange, 1);

	exchange->server = self;
	exchange->msg = msg;
	/* from the first byte of the request, or the end of the previous one on a
	 * kept-alive connection: an idle connection is closed the same way */
	exchange->timeout_id = g_timeout_add_seconds (self->read_timeout_s, inject_exchange_timeout_cb,
	                                              exchange);
	g_object_set_data_full (G_OBJECT (msg), INJECT_EXCHANGE_KEY, exchange,
	                        (GDestroyNotify) inject_exchange_free);
	g_signal_connect (msg, "accept-certificate", G_CALLBACK (inject_accept_certificate_cb), NULL);
	g_signal_connect (msg, "got-headers", G_CALLBACK (inject_got_headers_cb), exchange);
	g_signal_connect (msg, "got-chunk", G_CALLBACK (inject_got_chunk_cb), exchange);
}

static gboolean
inject_check_content_type (SoupServerMessage *msg, EsimdInjectBinding binding)
{
	const gchar *type = soup_message_headers_get_content_type (
		soup_server_message_get_request_headers (msg), NULL);

	if (type == NULL)
		return FALSE;
	if (binding == ESIMD_INJECT_BINDING_ASN1)
		return g_ascii_strcasecmp (type, ESIM_ESIPA_CONTENT_TYPE_ASN1) == 0;
	return g_ascii_strcasecmp (type, "application/json") == 0;
}

/* The refusals before a package is parsed: the HTTP status, or 0 to go on. */
static guint
inject_check_request (SoupServerMessage *msg, const gchar *path, EsimdInjectBinding *binding,
                      const gchar **why)
{
	if (g_strcmp0 (path, ESIM_ESIPA_PATH_ASN1) == 0) {
		*binding = ESIMD_INJECT_BINDING_ASN1;
	} else if (g_strcmp0 (path, ESIM_ESIPA_JSON_PATH_TRANSFER_EIM_PACKAGE) == 0) {
		*binding = ESIMD_INJECT_BINDING_JSON;
	} else {
		*why = "no ESipa function at this path";
		return SOUP_STATUS_NOT_FOUND;
	}
	if (soup_server_message_get_method (msg) != SOUP_METHOD_POST) {
		*why = "not a POST";
		return SOUP_STATUS_METHOD_NOT_ALLOWED;
	}
	if (!inject_check_content_type (msg, *binding)) {
		*why = *binding == ESIMD_INJECT_BINDING_ASN1
		       ? "Content-Type is not " ESIM_ESIPA_CONTENT_TYPE_ASN1
		       : "Content-Type is not application/json";
		return SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE;
	}
	return 0;
}

static void
inject_server_callback (SoupServer *server, SoupServerMessage *msg, const char *path,
                        GHashTable *query, gpointer user_data)
{
	EsimdInjectServer *self = user_data;
	InjectExchange *exchange = g_object_get_data (G_OBJECT (msg), INJECT_EXCHANGE_KEY);
	g_autoptr(GPtrArray) targets = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *why_not = NULL;
	g_autofree gchar *masked = NULL;
	EsimdInjectRequest *request;
	EsimdInjectBinding binding = ESIMD_INJECT_BINDING_ASN1;
	const gchar *peer = soup_server_message_get_remote_host (msg);
	const gchar *why = NULL;
	gboolean accepted;
	guint status;

	/* the whole request is in: the read timeout is over */
	if (exchange != NULL && exchange->timeout_id != 0)
		g_clear_handle_id (&exchange->timeout_id, g_source_remove);
	if (peer == NULL)
		peer = "?";
	/* what libsoup made of a request cut off: the client is gone already */
	if (exchange != NULL && exchange->aborted) {
		inject_answer_status (msg, SOUP_STATUS_REQUEST_TIMEOUT);
		return;
	}
	/* got-headers already refused an oversize body */
	if (soup_server_message_get_status (msg) != 0)
		return;
	status = inject_check_request (msg, path, &binding, &why);
	if (status != 0) {
		g_warning ("inject from %s: %s %s: %s: %u", peer, soup_server_message_get_method (msg),
		           path, why, status);
		inject_answer_status (msg, status);
		return;
	}

	request = g_new0 (EsimdInjectRequest, 1);
	request->peer = g_strdup (peer);
	request->binding = binding;
	body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	request->package = esimd_inject_parse_body (binding, g_bytes_get_data (body, NULL),
	                                            g_bytes_get_size (body), self->max_body, &error);
	if (request->package == NULL) {
		status = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE)
		         ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE : SOUP_STATUS_BAD_REQUEST;
		g_warning ("inject from %s: not a TransferEimPackageRequest: %s: %u", peer,
		           error->message, status);
		inject_answer_status (msg, status);
		inject_request_free (request);
		return;
	}

	request->msg = g_object_ref (msg);
	targets = self->handler.list_targets (self->handler_data);
	if (request->package->kind == ESIM_EIM_PACKAGE_EUICC_PACKAGE_REQUEST)
		accepted = inject_resolve_signed (request, targets, &why_not);
	else
		accepted = inject_resolve_by_certificate (request, targets, &why_not);
	if (!accepted) {
		g_warning ("inject from %s: %s refused: %s: 403", peer,
		           inject_package_name (request->package), why_not);
		inject_answer_status (msg, SOUP_STATUS_FORBIDDEN);
		inject_request_free (request);
		return;
	}
	masked = esim_log_personal (request->eid);
	g_message ("inject from %s: %s from eIM \"%s\" for eUICC %s", peer,
	           inject_package_name (request->package), request->eim_id, masked);
	request->server = g_object_ref (self);
	soup_server_message_pause (msg);
	self->handler.execute (request, self->handler_data);
}

/* ---- the server ---- */

static gboolean
inject_listen (EsimdInjectServer *self, const EsimdInjectOptions *options, GError **error)
{
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GInetAddress) inet = NULL;
	GSList *uris;

	if (options->address == NULL) {
		if (!soup_server_listen_all (self->server, options->port, SOUP_SERVER_LISTEN_HTTPS,
		                             error))
			return FALSE;
	} else {
		inet = g_inet_address_new_from_string (options->address);
		if (inet == NULL) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			             "\"%s\" is not an IP address", options->address);
			return FALSE;
		}
		address = g_inet_socket_address_new (inet, options->port);
		if (!soup_server_listen (self->server, address, SOUP_SERVER_LISTEN_HTTPS, error))
			return FALSE;
	}
	uris = soup_server_get_uris (self->server);
	self->port = uris != NULL ? (guint16) g_uri_get_port (uris->data) : 0;
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
	return TRUE;
}

EsimdInjectServer *
esimd_inject_server_new (const EsimdInjectOptions *options, const EsimdInjectHandler *handler,
                         gpointer handler_data, GError **error)
{
	g_autoptr(EsimdInjectServer) self = NULL;
	g_autoptr(GTlsCertificate) certificate = NULL;
	g_autoptr(GError) local = NULL;

	g_return_val_if_fail (options != NULL, NULL);
	g_return_val_if_fail (options->certificate_file != NULL && options->key_file != NULL, NULL);
	g_return_val_if_fail (handler != NULL && handler->list_targets != NULL &&
	                      handler->execute != NULL, NULL);

	certificate = g_tls_certificate_new_from_files (options->certificate_file, options->key_file,
	                                                &local);
	if (certificate == NULL) {
		g_set_error (error, local->domain, local->code,
		             "the inject certificate %s with key %s: %s", options->certificate_file,
		             options->key_file, local->message);
		return NULL;
	}
	self = g_object_new (ESIMD_TYPE_INJECT_SERVER, NULL);
	self->handler = *handler;
	self->handler_data = handler_data;
	self->max_body = options->max_body != 0 ? options->max_body : ESIMD_INJECT_MAX_BODY;
	self->read_timeout_s = options->read_timeout_s != 0 ? options->read_timeout_s
	                                                    : ESIMD_INJECT_READ_TIMEOUT;
	self->server = soup_server_new ("tls-certificate", certificate, "server-header", "esimd",
	                                NULL);
	soup_server_set_tls_auth_mode (self->server, G_TLS_AUTHENTICATION_REQUESTED);
	g_signal_connect (self->server, "request-started", G_CALLBACK (inject_request_started_cb),
	                  self);
	soup_server_add_handler (self->server, NULL, inject_server_callback, self, NULL);
	if (!inject_listen (self, options, &local)) {
		g_set_error (error, local->domain, local->code, "cannot listen on %s port %u: %s",
		             options->address != NULL ? options->address : "every address",
		             options->port, local->message);
		return NULL;
	}
	g_message ("inject: TransferEimPackage served on %s port %u",
	           options->address != NULL ? options->address : "every address", self->port);
	return g_steal_pointer (&self);
}

guint16
esimd_inject_server_get_port (EsimdInjectServer *self)
{
	g_return_val_if_fail (ESIMD_IS_INJECT_SERVER (self), 0);
	return self->port;
}

void
esimd_inject_server_stop (EsimdInjectServer *self)
{
	g_return_if_fail (ESIMD_IS_INJECT_SERVER (self));

	if (self->server == NULL)
		return;
	soup_server_disconnect (self->server);
	g_clear_object (&self->server);
}

static void
esimd_inject_server_dispose (GObject *object)
{
	EsimdInjectServer *self = ESIMD_INJECT_SERVER (object);

	esimd_inject_server_stop (self);
	G_OBJECT_CLASS (esimd_inject_server_parent_class)->dispose (object);
}

static void
esimd_inject_server_class_init (EsimdInjectServerClass *klass)
{
	G_OBJECT_CLASS (klass)->dispose = esimd_inject_server_dispose;
}

static void
esimd_inject_server_init (EsimdInjectServer *self)
{
}
