/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES9+ JSON binding (SGP.22 v2.5 §6.5): request bodies and strict parsing of
 * the SM-DP+'s answers.  Pure: no network (src/net sends them), no card.
 *
 * Binary values travel as standard base64 of a whole DER TLV (tag included);
 * transactionId is a hex string (osmocom pySim es9p.py, lpac es9p.c).  Every
 * answer carries header.functionExecutionStatus; anything but
 * "Executed-Success" or "Executed-WithWarning" is an error that keeps the
 * server's subjectCode and reasonCode (SGP.22 §6.5.1.4).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_ES9P_ERROR (esim_es9p_error_quark ())
GQuark esim_es9p_error_quark (void);

typedef enum {
	ESIM_ES9P_ERROR_MALFORMED,  /* not the JSON this function answers with */
	ESIM_ES9P_ERROR_FAILED,     /* functionExecutionStatus "Failed" */
	ESIM_ES9P_ERROR_EXPIRED,    /* functionExecutionStatus "Expired" */
} EsimEs9pError;

/* What a server said about a function that did not succeed.  The GError of
 * a parser carries the same codes in its message, "…(subject 8.2.7, reason 3.8)";
 * callers that map errors take them from here. */
typedef struct {
	gchar *status;              /* "Failed", "Expired" */
	gchar *subject_code;        /* "8.2.7"; NULL if absent */
	gchar *reason_code;         /* "3.8"; NULL if absent */
	gchar *subject_identifier;  /* NULL if absent */
	gchar *message;             /* NULL if absent */
} EsimEs9pStatus;

void esim_es9p_status_free (EsimEs9pStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEs9pStatus, esim_es9p_status_free)

/* Paths below https://<SM-DP+ address> (SGP.22 §6.5.2). */
#define ESIM_ES9P_PATH_INITIATE_AUTHENTICATION  "/gsma/rsp2/es9plus/initiateAuthentication"
#define ESIM_ES9P_PATH_AUTHENTICATE_CLIENT      "/gsma/rsp2/es9plus/authenticateClient"
#define ESIM_ES9P_PATH_GET_BOUND_PROFILE_PACKAGE "/gsma/rsp2/es9plus/getBoundProfilePackage"
#define ESIM_ES9P_PATH_HANDLE_NOTIFICATION      "/gsma/rsp2/es9plus/handleNotification"
#define ESIM_ES9P_PATH_CANCEL_SESSION           "/gsma/rsp2/es9plus/cancelSession"

/* Request headers (SGP.22 §6.5.1.1). */
#define ESIM_ES9P_CONTENT_TYPE     "application/json"
#define ESIM_ES9P_ADMIN_PROTOCOL   "gsma/rsp/v2.5.0"

/* ---- request bodies (JSON text) ---- */
gchar *esim_es9p_build_initiate_authentication (GBytes *euicc_challenge, GBytes *euicc_info1,
                                                const gchar *smdp_address);
gchar *esim_es9p_build_authenticate_client (const gchar *transaction_id,
                                            GBytes *authenticate_server_response);
gchar *esim_es9p_build_get_bound_profile_package (const gchar *transaction_id,
                                                  GBytes *prepare_download_response);
gchar *esim_es9p_build_handle_notification (GBytes *pending_notification);
gchar *esim_es9p_build_cancel_session (const gchar *transaction_id,
                                       GBytes *cancel_session_response);

/* ---- answers: every binary field is one whole DER TLV with its expected tag ----
 * The same structs carry the eIM's answers in an indirect download (ESipa,
 * esim-esipa.h, both bindings), so the download flow sees one model; the
 * members only ESipa fills are NULL for ES9+. */
typedef struct {
	gchar  *transaction_id;            /* upper-case hex; ESipa may leave it out of the
	                                    * answer, then it is serverSigned1's */
	GBytes *server_signed1;            /* 30 ServerSigned1 */
	GBytes *server_signature1;         /* 5F37 */
	GBytes *euicc_ci_pkid_to_be_used;  /* 04 SubjectKeyIdentifier */
	GBytes *server_certificate;        /* 30 Certificate */
	gchar  *matching_id;               /* ESipa: matchingId the eIM gives for ctxParams1; NULL */
	GBytes *ctx_params1;               /* ESipa: CtxParams1 (A0 …) the eIM generated; NULL */
} EsimInitiateAuthenticationOk;

typedef struct {
	gchar  *transaction_id;
	GBytes *profile_metadata;          /* BF25 StoreMetadataRequest; ESipa may leave it out (NULL) */
	GBytes *smdp_signed2;              /* 30 SmdpSigned2 */
	GBytes *smdp_signature2;           /* 5F37 */
	GBytes *smdp_certificate;          /* 30 Certificate */
	GBytes *hash_cc;                   /* 04; ES9+ never sends it (ESipa may); NULL */
	/* ESipa authenticateClientOkDSEsipa: the server was an SM-DS.  Then only
	 * transaction_id is set among the members above, and the SM-DS may hand
	 * over the next download to run (esim-esipa.h; NULL if it did not). */
	gboolean from_smds;
	struct _EsimProfileDownloadTrigger *profile_download_trigger;
} EsimAuthenticateClientOk;

typedef struct {
	gchar  *transaction_id;            /* ESipa may leave it out: then the BPP's own
	                                    * (InitialiseSecureChannel 80), NULL if neither */
	GBytes *bound_profile_package;     /* BF36 */
} EsimBoundProfilePackageOk;

void esim_initiate_authentication_ok_free (EsimInitiateAuthenticationOk *ok);
void esim_authenticate_client_ok_free (EsimAuthenticateClientOk *ok);
void esim_bound_profile_package_ok_free (EsimBoundProfilePackageOk *ok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimInitiateAuthenticationOk, esim_initiate_authentication_ok_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimAuthenticateClientOk, esim_authenticate_client_ok_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimBoundProfilePackageOk, esim_bound_profile_package_ok_free)

/* Each parser takes the response body; on a function-level failure it fails
 * with ESIM_ES9P_ERROR_FAILED/EXPIRED and, if @status is non-NULL, returns
 * what the server said there. */
EsimInitiateAuthenticationOk *esim_es9p_parse_initiate_authentication (const gchar *body, gsize len,
                                                                       EsimEs9pStatus **status,
                                                                       GError **error);
EsimAuthenticateClientOk     *esim_es9p_parse_authenticate_client (const gchar *body, gsize len,
                                                                   EsimEs9pStatus **status,
                                                                   GError **error);
EsimBoundProfilePackageOk    *esim_es9p_parse_get_bound_profile_package (const gchar *body, gsize len,
                                                                         EsimEs9pStatus **status,
                                                                         GError **error);
/* cancelSession answers only a header. */
gboolean esim_es9p_parse_cancel_session (const gchar *body, gsize len, EsimEs9pStatus **status,
                                         GError **error);

/* Strict base64 (RFC 4648 alphabet and padding; whitespace ignored, as lpac
 * does); g_base64_decode() would skip any garbage silently. */
GBytes  *esim_base64_decode_strict (const gchar *text, GError **error);
/* Transaction IDs: 1–16 bytes as hex (SGP.22 TransactionId). */
gboolean esim_transaction_id_is_valid (const gchar *hex);

G_END_DECLS
