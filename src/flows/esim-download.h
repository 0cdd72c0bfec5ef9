/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IPA side of a profile download (SGP.22 v2.5 §3.1.3, digest §5 "Flow"),
 * one step machine over an open EsimIsdr and an EsimRspServer (the SM-DP+
 * over ES9+, or later the eIM relaying to it over ESipa):
 *
 *   GetEuiccChallenge, GetEUICCInfo1 -> initiateAuthentication -> the
 *   server's answer checked (transaction ID, our challenge, the address we
 *   called) -> AuthenticateServer (ctxParams1: matching ID, deviceInfo) ->
 *   authenticateClient -> the profile checked (transaction IDs, confirmation
 *   code, ICCID, PPRs) -> PrepareDownload (hashCc) -> getBoundProfilePackage
 *   -> the package checked (transaction ID, its metadata against the one
 *   authenticateClient announced, its segments) -> LoadBoundProfilePackage
 *   -> the ProfileInstallationResult.
 *
 * The install notification (the ProfileInstallationResult) stays pending on
 * the card: delivering it is the notification flow's job.
 *
 * After AuthenticateServer succeeded, every failure ends the session on both
 * sides, best effort and without masking the failure: ES10b CancelSession on
 * the card with the reason below, then cancelSession to the server with the
 * card's signed answer (failures of either are logged).  A failure that
 * comes with a ProfileInstallationResult needs no cancel: the card ended the
 * session, and the result goes to the SM-DP+ as the install notification.
 * When the card refuses AuthenticateServer it has no session: its error
 * answer goes to the server in authenticateClient (as osmocom pySim
 * osmo-smdpp.py expects it), best effort, and that ends the server's.
 *
 * CancelSessionReason chosen (SGP.22 v2.5 RSPDefinitions):
 *   the GCancellable was cancelled                            postponed
 *   a server request timed out (G_IO_ERROR_TIMED_OUT)         timeout
 *   a confirmation code is required and none was given        endUserRejection
 *   the profile carries a PPR the caller refuses              pprNotAllowed
 *   the profile is not the one asked for (expected ICCID), its
 *     ICCID is on the card already, or the package's metadata
 *     is not the one authenticateClient announced             metadataMismatch
 *   getBoundProfilePackage failed on the transport or sent a
 *     malformed answer, the package cannot be segmented, or
 *     LoadBoundProfilePackage ended without a result          loadBppExecutionError
 *   anything else: the server refused (its status codes are
 *     in the error), its answers contradict the session, the
 *     card refused PrepareDownload or failed                  undefinedReason
 * (esim_download_cancel_reason() is that table.)
 *
 * Cancellation: honoured up to the first segment of the package.  Once the
 * card has begun to load the package, the load runs to its result: a card
 * left half-way holds a partial ISD-P (installFailedDueToInterruption at best).
 *
 * Personal data: the matching ID only appears masked in logs
 * (esim_log_personal), the confirmation code never.
 */
#pragma once

#include <gio/gio.h>

#include "esim-es10-download.h"
#include "esim-rsp-server.h"

G_BEGIN_DECLS

#define ESIM_DOWNLOAD_ERROR (esim_download_error_quark ())
GQuark esim_download_error_quark (void);

/* The flow's own refusals; the server's and the card's errors come through
 * in their own domains (ESIM_ES9P_ERROR, G_IO_ERROR, G_TLS_ERROR,
 * ESIM_ES10_ERROR, ESIM_APDU_ERROR…), their messages prefixed with the step. */
typedef enum {
	ESIM_DOWNLOAD_ERROR_CONFIRMATION_CODE_REQUIRED, /* the SM-DP+ wants one, none was given */
	ESIM_DOWNLOAD_ERROR_ALREADY_INSTALLED,          /* the profile's ICCID is on the card */
	ESIM_DOWNLOAD_ERROR_METADATA_MISMATCH,          /* not the profile asked for / announced */
	ESIM_DOWNLOAD_ERROR_PPR_NOT_ALLOWED,            /* a profile policy rule the caller refuses */
	ESIM_DOWNLOAD_ERROR_INCONSISTENT,               /* the server's answers contradict the session */
} EsimDownloadError;

/* The steps, as reported to the progress callback and in failures. */
typedef enum {
	ESIM_DOWNLOAD_STEP_NONE = -1,   /* EsimDownloadFailure of a download that worked */
	ESIM_DOWNLOAD_STEP_GET_EUICC_CHALLENGE,
	ESIM_DOWNLOAD_STEP_GET_EUICC_INFO,
	ESIM_DOWNLOAD_STEP_INITIATE_AUTHENTICATION,
	ESIM_DOWNLOAD_STEP_AUTHENTICATE_SERVER,
	ESIM_DOWNLOAD_STEP_AUTHENTICATE_CLIENT,
	ESIM_DOWNLOAD_STEP_CHECK_PROFILE,
	ESIM_DOWNLOAD_STEP_PREPARE_DOWNLOAD,
	ESIM_DOWNLOAD_STEP_GET_BOUND_PROFILE_PACKAGE,
	ESIM_DOWNLOAD_STEP_LOAD_BOUND_PROFILE_PACKAGE,
	ESIM_DOWNLOAD_STEP_CANCEL_SESSION,
} EsimDownloadStep;

/* "get-euicc-challenge", "initiate-authentication", … "cancel-session":
 * stable names, used on D-Bus (Euicc.ProgressStep). */
const gchar *esim_download_step_to_string (EsimDownloadStep step);
/* TRUE for the steps that talk to the server (their errors are the server's
 * or the network's). */
gboolean     esim_download_step_is_server (EsimDownloadStep step);

typedef struct {
	const gchar          *smdp_address;       /* host[:port], from the activation code */
	const gchar          *matching_id;        /* NULL: left out of ctxParams1; "" sent empty */
	const gchar          *confirmation_code;  /* NULL: none; a secret, never logged */
	const EsimDeviceInfo *device_info;        /* NULL: esim_device_info_init() defaults */
	const gchar          *expected_iccid;     /* NULL: any profile */
	const gchar *const   *installed_iccids;   /* NULL-terminated, the card's profiles; NULL: none */
	guint32               refused_pprs;       /* PPR bits (ppr_ids of the metadata) refused */
} EsimDownloadParams;

/* @percent: 0..99 while the download runs (the caller says 100). */
typedef void (*EsimDownloadProgressFunc) (EsimDownloadStep step, guint percent, gpointer user_data);

typedef struct {
	gchar               *iccid;           /* of the installed profile */
	gchar               *isdp_aid;        /* upper-case hex; NULL if the card gave none */
	gchar               *transaction_id;
	guint64              seq_number;      /* of the install notification left on the card */
	EsimProfileMetadata *metadata;        /* what authenticateClient announced */
	/* what loading cost, for the benchmark */
	guint                n_segments;
	guint                store_data_minimum; /* Σ ⌈segment/255⌉ */
	gsize                package_size;
} EsimDownloadResult;

void esim_download_result_free (EsimDownloadResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimDownloadResult, esim_download_result_free)

/* How a failed download ended. */
typedef struct {
	EsimDownloadStep step;           /* where it failed */
	gint             cancel_reason;  /* EsimCancelSessionReason sent to the card; -1: none */
	gboolean         card_cancelled; /* the card confirmed CancelSession */
	gboolean         server_told;    /* the server accepted cancelSession (or authenticateClient
	                                  * with the card's refusal) */
} EsimDownloadFailure;

/* @isdr must be open; @params is copied.  @progress (nullable) is called as
 * each step starts and after every segment of the package. */
void                esim_download_async (EsimIsdr *isdr, EsimRspServer *server,
                                         const EsimDownloadParams *params,
                                         EsimDownloadProgressFunc progress, gpointer progress_data,
                                         GCancellable *cancellable, GAsyncReadyCallback callback,
                                         gpointer user_data);
/* @failure (nullable) is filled on failure (step ESIM_DOWNLOAD_STEP_NONE on success). */
EsimDownloadResult *esim_download_finish (GAsyncResult *res, EsimDownloadFailure *failure,
                                          GError **error);

/* What the eUICC signed at the end of the download of @res (a finished
 * esim_download_async()), for a caller that passes it on as it came (an eIM's
 * ProfileDownloadTriggerResult, SGP.32 v1.2):
 *   - the ProfileInstallationResult (BF37) the card answered the package
 *     with, whether the install succeeded or not; NULL when the package never
 *     reached the card;
 *   - the card's answer that ended a failed session: its signed
 *     CancelSessionResponse (BF41) after a cancel, else its refusal of
 *     AuthenticateServer (BF38 authenticateResponseError); NULL when it gave none.
 * Transfer full. */
GBytes *esim_download_get_installation_result (GAsyncResult *res);
GBytes *esim_download_get_error_response (GAsyncResult *res);

/* The mapping table above: the reason for a failure at @step with @error. */
EsimCancelSessionReason esim_download_cancel_reason (EsimDownloadStep step, const GError *error);

/* The StoreMetadataRequest (BF25) a bound profile package carries in its
 * sequenceOf88 (each 88 is plaintext ‖ 8-byte C-MAC, SGP.22 §2.5.4; the MAC
 * is the card's to check).  ESIM_DER_ERROR for a package without one. */
GBytes *esim_download_bpp_metadata (GBytes *bound_profile_package, GError **error);

/* The SGP.22 subject and reason codes of a server's refusal
 * (ESIM_ES9P_ERROR_FAILED/EXPIRED; their message ends in "(subject S,
 * reason R)", esim-es9p.h).  FALSE for any other error. */
gboolean esim_download_error_get_status_codes (const GError *error, gchar **subject_code,
                                               gchar **reason_code);

G_END_DECLS
