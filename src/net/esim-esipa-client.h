/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimEsipaClient: the IPA's side of ESipa (SGP.32 v1.2 §3, §6) to one eIM
 * over HTTPS, one object per eIM, living as long as the eIM is configured.
 *
 *   - Bindings, chosen per eIM: ASN.1 (§6.3; POST https://<eimFqdn><path>,
 *     default ESIM_ESIPA_PATH_ASN1, Content-Type application/x-gsma-rsp-asn1,
 *     X-Admin-Protocol gsma/rsp/v2.1.0, which onomondo-eim requires:
 *     src/esipa_middleware.erl) or JSON (§6.4; POST
 *     https://<eimFqdn>/gsma/rsp2/esipa/<function>).  The messages are
 *     src/lib's codecs (esim-esipa.h, esim-esipa-json.h), one typed model.
 *   - Trust: the eIM configuration's trustedPublicKeyDataTls, else the CA file
 *     configured for the eIM (esim-eim-tls-database.h); none: no client.
 *   - One keep-alive connection per procedure: a poll cycle from
 *     GetEimPackage to the last acknowledgement, or a relayed download, runs
 *     on one connection (onomondo-eim ties its work on a package to the
 *     connection that fetched it: README, "keep it open at least until the
 *     related procedure ends"); esim_esipa_client_end_procedure() closes it.
 *     TLS sessions are resumed across procedures (esim-http.h).
 *   - Timeouts: a request fails after ESIM_ESIPA_DEFAULT_TIMEOUT seconds
 *     without progress (configurable): a relayed call waits for the eIM,
 *     which waits for the SM-DP+ with its own timeout, over a link whose
 *     round trips take seconds (NB-IoT, LTE-M).
 *   - Retries (a budget of attempts per call, with a delay that doubles):
 *     every call is repeated when it failed before the eIM could have
 *     processed it (resolving, connecting, TLS, writing the request: see
 *     esim_http_client_post_was_sent()).  Once the eIM may have processed
 *     it, only ProvideEimPackageResult and HandleNotification are repeated:
 *     what they deliver stays on the eUICC until the eIM acknowledges it and
 *     carries the sequence number the eIM recognises it by (an
 *     EuiccPackageResult leaves the eUICC only on eimAcknowledgements, a
 *     notification only once its delivery succeeded, and both are delivered
 *     again until then: digest §3.5, §3.6 steps 1-2, §6; so an eIM must
 *     already take a repeat as the same delivery, as the test eIM does), and
 *     an IpaEuiccDataResponse is a read.  GetEimPackage
 *     (the eIM may have handed out its package and dequeued it) and the
 *     download relay (each call moves the SM-DP+'s session on) are never
 *     repeated after that point: the caller decides (the poll scheduler backs
 *     off; the download flow cancels).  A refused certificate, an HTTP 4xx,
 *     a malformed answer or the eIM's refusal are never retried.
 *
 * Errors: the transport's (esim-http.h: G_TLS_ERROR, G_IO_ERROR, each message
 * naming the eIM; an HTTP status other than 2xx is G_IO_ERROR_FAILED);
 * ESIM_ESIPA_ERROR_MALFORMED for an answer that is not the function's
 * (an empty one included, where data is due); ESIM_ESIPA_ERROR_REFUSED /
 * _EXPIRED for the eIM's refusal, with its code in *eim_error where the
 * binding carries one (ASN.1) and its name in the message
 * ("GetEimPackage: eidNotFound (2)").  eimPackageError noEimPackageAvailable
 * is a result, not an error.  Nothing personal is logged: the EID and the
 * eUICC's data travel only in request bodies, which are never logged.
 */
#pragma once

#include <gio/gio.h>

#include "esim-es10.h"
#include "esim-esipa.h"
#include "esim-http.h"
#include "esim-rsp-server.h"

G_BEGIN_DECLS

typedef enum {
	ESIM_ESIPA_BINDING_ASN1 = 0,   /* the default */
	ESIM_ESIPA_BINDING_JSON,
} EsimEsipaBinding;

/* "asn1", "json" (configuration values) */
const gchar *esim_esipa_binding_to_string (EsimEsipaBinding binding);
gboolean     esim_esipa_binding_from_string (const gchar *name, EsimEsipaBinding *binding);

#define ESIM_ESIPA_DEFAULT_TIMEOUT     120  /* seconds without progress */
#define ESIM_ESIPA_DEFAULT_ATTEMPTS    3    /* per call, the first included */
#define ESIM_ESIPA_DEFAULT_RETRY_DELAY 10   /* seconds before the first repeat; doubles */
#define ESIM_ESIPA_JSON_PREFIX         "/gsma/rsp2/esipa/"

typedef struct {
	EsimEsipaBinding binding;
	const gchar *asn1_path;     /* NULL: ESIM_ESIPA_PATH_ASN1 */
	const gchar *json_prefix;   /* NULL: ESIM_ESIPA_JSON_PREFIX */
	/* PEM (or DER) CA certificate(s) for an eIM whose configuration carries
	 * no trustedPublicKeyDataTls; ignored when it carries one */
	const gchar *ca_file;
	guint timeout;              /* 0: ESIM_ESIPA_DEFAULT_TIMEOUT */
	guint attempts;             /* 0: ESIM_ESIPA_DEFAULT_ATTEMPTS; 1: never repeat */
	guint retry_delay;          /* 0: ESIM_ESIPA_DEFAULT_RETRY_DELAY */
} EsimEsipaClientOptions;

#define ESIM_TYPE_ESIPA_CLIENT (esim_esipa_client_get_type ())
G_DECLARE_FINAL_TYPE (EsimEsipaClient, esim_esipa_client, ESIM, ESIPA_CLIENT, GObject)

/* @config: the eIM as the eUICC lists it (GetEimConfigurationData); its
 * eimFqdn (host[:port]) is where the client connects.  @options: NULL for
 * the defaults.  Errors: G_IO_ERROR_INVALID_ARGUMENT (no eimFqdn, a bad one,
 * an eIM that offers no ESipa over HTTPS, no TLS trust: see
 * esim_eim_tls_database_new()), G_FILE_ERROR from reading the CA file. */
EsimEsipaClient *esim_esipa_client_new (const EsimEimConfig *config,
                                        const EsimEsipaClientOptions *options, GError **error);
const gchar     *esim_esipa_client_get_eim_id (EsimEsipaClient *self);
const gchar     *esim_esipa_client_get_address (EsimEsipaClient *self);   /* eimFqdn */
EsimEsipaBinding esim_esipa_client_get_binding (EsimEsipaClient *self);
/* The HTTP session: counters (the benchmark), the timeout. */
EsimHttpClient  *esim_esipa_client_get_http (EsimEsipaClient *self);
/* The end of a procedure: the connection is closed (calls still running fail
 * with G_IO_ERROR_CANCELLED); the TLS session is kept for the next. */
void             esim_esipa_client_end_procedure (EsimEsipaClient *self);

/* ---- IPA-initiated (retrieval, SGP.32 §3.1.1.1) ---- */

/* GetEimPackage.  The package; eimPackageError noEimPackageAvailable is a
 * package of kind ESIM_EIM_PACKAGE_ERROR with error_code
 * ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE (the usual end of a poll); any other
 * eimPackageError is ESIM_ESIPA_ERROR_REFUSED with the code in *@eim_error. */
void            esim_esipa_client_get_eim_package_async (EsimEsipaClient *self,
                                                         const EsimGetEimPackageRequest *request,
                                                         GCancellable *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer user_data);
EsimEimPackage *esim_esipa_client_get_eim_package_finish (EsimEsipaClient *self, GAsyncResult *res,
                                                          gint *eim_error, GError **error);

/* ProvideEimPackageResult with @result (@eid: the eidValue, nullable).  The
 * answer is eimAcknowledgements or emptyResponse (an empty body included);
 * provideEimPackageResultError is ESIM_ESIPA_ERROR_REFUSED with its code. */
void     esim_esipa_client_provide_eim_package_result_async (EsimEsipaClient *self,
                                                             const gchar *eid,
                                                             const EsimEimPackageResult *result,
                                                             GCancellable *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer user_data);
EsimProvideResultResponse *esim_esipa_client_provide_eim_package_result_finish (EsimEsipaClient *self,
                                                                                GAsyncResult *res,
                                                                                gint *eim_error,
                                                                                GError **error);

/* HandleNotification with the card's PendingNotification TLV as it came.
 * Any 2xx with an empty body is success (SGP.32 defines no answer; onomondo-eim
 * sends 200, openiotrsp 204); so is a JSON header saying so; a "Failed"
 * header is ESIM_ESIPA_ERROR_REFUSED. */
void     esim_esipa_client_handle_notification_async (EsimEsipaClient *self,
                                                      GBytes *pending_notification,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean esim_esipa_client_handle_notification_finish (EsimEsipaClient *self, GAsyncResult *res,
                                                       GError **error);
/* HandleNotification carrying a result (the other way to deliver one): the
 * answer as for ProvideEimPackageResult, an empty body being emptyResponse. */
void     esim_esipa_client_handle_notification_result_async (EsimEsipaClient *self,
                                                             const gchar *eid,
                                                             const EsimEimPackageResult *result,
                                                             GCancellable *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer user_data);
EsimProvideResultResponse *esim_esipa_client_handle_notification_result_finish (EsimEsipaClient *self,
                                                                                GAsyncResult *res,
                                                                                gint *eim_error,
                                                                                GError **error);

/* ---- the indirect download (SGP.32 §3.2.3.2) ---- */

/* The eIM as the EsimRspServer of one indirect download, the download flow's
 * server: InitiateAuthentication, AuthenticateClient, GetBoundProfilePackage
 * and CancelSession go to the eIM on this client's connection (the one the
 * profileDownloadTriggerRequest came on, where an eIM that binds work to the
 * connection expects them).  @eim_transaction_id: the trigger's
 * eimTransactionId (hex, nullable), sent in InitiateAuthentication so the
 * eIM finds its order.  What the eIM adds for the flow comes back in the
 * answers: EsimInitiateAuthenticationOk.matching_id and .ctx_params1 (the eIM
 * generates ctxParams1, ipaFeatures eimCtxParams1Generation), and
 * EsimAuthenticateClientOk.from_smds / .profile_download_trigger.
 * initiate_authentication takes a NULL @smdp_address (the eIM knows the
 * order's) and a NULL @euicc_info1 (minimizeEsipaBytes).  Errors as above;
 * the eIM's refusal is ESIM_ESIPA_ERROR_REFUSED naming its code, e.g.
 * "AuthenticateClient: downloadOrderExpired (18)". */
EsimRspServer *esim_esipa_client_new_relay (EsimEsipaClient *self,
                                            const gchar *eim_transaction_id);

/* ---- eIM-initiated (injection, SGP.32 §3.1.1.2) ---- */

/* The TransferEimPackageResponse body in this eIM's binding, and its
 * Content-Type, for the daemon's answer to a pushed package. */
GBytes *esim_esipa_client_encode_transfer_response (EsimEsipaClient *self,
                                                    const EsimTransferEimPackageResponse *response,
                                                    const gchar **content_type, GError **error);

G_END_DECLS
