/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ES10b functions an IPA needs for its eIM (SGP.32 v1.2 §5.9):
 * LoadEuiccPackage, ProfileRollback, ImmediateEnable and
 * ConfigureImmediateProfileEnabling.  (RetrieveNotificationsList with
 * ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, RemoveNotificationFromList,
 * GetCerts, GetEimConfigurationData and AddInitialEim are in esim-es10.h.)
 *
 * Same shape as esim-es10.h: pure encoders, pure parsers, async calls over
 * an open EsimIsdr.  The eIM's EuiccPackageRequest goes to the card as the
 * bytes the eIM signed, and the card's EuiccPackageResult comes back as the
 * bytes the card signed (raw): both are only read here, for routing and for
 * logs, never re-encoded.
 *
 * Errors: a request that is not one BF51 TLV is G_IO_ERROR_INVALID_ARGUMENT
 * and nothing is sent; an answer we cannot decode is ESIM_DER_ERROR; a
 * non-ok result code of ProfileRollback, ImmediateEnable or
 * ConfigureImmediateProfileEnabling is ESIM_ES10_ERROR naming the code.  An
 * EuiccPackageResult is returned whichever of its three alternatives the card
 * chose: its error arms are results the eIM must receive, not failures of
 * the call.
 */
#pragma once

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-tags.h"

G_BEGIN_DECLS

/* ---- LoadEuiccPackage (BF51) ---- */

/* The alternatives of EuiccPackageResult ::= [81] CHOICE (automatic tags) */
typedef enum {
	ESIM_EUICC_PACKAGE_RESULT_SIGNED = 0,   /* A0 euiccPackageResultSigned */
	ESIM_EUICC_PACKAGE_ERROR_SIGNED = 1,    /* A1 euiccPackageErrorSigned */
	ESIM_EUICC_PACKAGE_ERROR_UNSIGNED = 2,  /* A2 euiccPackageErrorUnsigned */
} EsimEuiccPackageResultKind;

/* One EuiccResultData: which PSMO or eCO it answers (its tag) and how. */
typedef struct {
	EsimTag  tag;      /* ESIM_TAG_RESULT_* (83 enable, BF2D listProfileInfo, A8 addEim…),
	                    * or ESIM_TAG_RESULT_PROCESSING_TERMINATED (02) */
	gint64   code;     /* its result code; 0 for a result that carries data (getRAT,
	                    * listEim, a profile list, addEim's associationToken) */
	gboolean has_association_token;  /* addEim answered with a new associationToken */
	gint64   association_token;
} EsimEuiccResult;

typedef struct {
	EsimEuiccPackageResultKind kind;
	gchar   *eim_id;
	gint64   counter_value;        /* -1 in the unsigned error arm, which has none */
	gchar   *eim_transaction_id;   /* upper-case hex; NULL if absent */
	gint64   seq_number;           /* -1 but in a signed result: the number that lists
	                                * it until RemoveNotificationFromList */
	gint     error_code;           /* the error arms' code (-1 when the unsigned arm has
	                                * none); 0 in a signed result */
	gboolean has_association_token; /* unsigned error arm */
	gint64   association_token;
	GArray  *results;              /* EsimEuiccResult, in PSMO/eCO order (empty for the
	                                * error arms) */
	gboolean enable_succeeded;     /* an enableResult ok: the enabled profile changed */
	GBytes  *raw;                  /* the whole BF51 as the card sent it */
} EsimEuiccPackageResult;

void esim_euicc_package_result_free (EsimEuiccPackageResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimEuiccPackageResult, esim_euicc_package_result_free)

/* The request, unchanged: @package must be exactly one constructed BF51 TLV
 * (an eIM's EuiccPackageRequest, e.g. EsimEuiccPackageRequest.raw). */
GBytes *esim_es10_encode_load_euicc_package (GBytes *package, GError **error);
/* Reads an EuiccPackageResult (BF51 { A0 | A1 | A2 }) for routing and logs;
 * raw keeps it whole.  Also the parser for each item of a
 * RetrieveNotificationsList euiccPackageResultList. */
EsimEuiccPackageResult *esim_es10_parse_euicc_package_result (GBytes *response, GError **error);

/* "invalidEid", "replayError"… (EuiccPackageErrorCode); "unknown" */
const gchar *esim_euicc_package_error_to_string (gint code);
/* "enable", "listProfileInfo", "addEim", "processingTerminated"…; "unknown" */
const gchar *esim_euicc_result_name (EsimTag tag);
/* The spec name of @result's code for its kind: "ok", "profileNotInDisabledState",
 * "lastEimDeleted", "unknownOrDamagedCommand"…; "unknown" */
const gchar *esim_euicc_result_code_to_string (const EsimEuiccResult *result);
/* TRUE when @result means the PSMO or eCO was carried out (lastEimDeleted included). */
gboolean     esim_euicc_result_is_ok (const EsimEuiccResult *result);
/* One line for a log: "signed result seq 5 for eIM g-eim.com.br, counter 5: enable ok". */
gchar       *esim_euicc_package_result_describe (const EsimEuiccPackageResult *result);

/* ---- ProfileRollback (BF58) ---- */

typedef struct {
	EsimEuiccPackageResult *package_result;  /* the rollback's own result; NULL if absent */
} EsimProfileRollbackOk;

void esim_profile_rollback_ok_free (EsimProfileRollbackOk *ok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimProfileRollbackOk, esim_profile_rollback_ok_free)

GBytes *esim_es10_encode_profile_rollback (gboolean refresh);
/* cmdResult ok -> the optional EuiccPackageResult; else ESIM_ES10_ERROR, e.g.
 * "ProfileRollback: rollbackNotAllowed (1)". */
EsimProfileRollbackOk *esim_es10_parse_profile_rollback (GBytes *response, GError **error);

/* ---- ImmediateEnable (BF5A) ---- */

GBytes  *esim_es10_encode_immediate_enable (gboolean refresh);
gboolean esim_es10_parse_immediate_enable (GBytes *response, GError **error);

/* ---- ConfigureImmediateProfileEnabling (BF59) ---- */

/* @enable: immediateEnableFlag present; @smdp_oid dotted and @smdp_address
 * (at most 255 bytes) NULL = left out. */
GBytes  *esim_es10_encode_configure_immediate_enable (gboolean enable, const gchar *smdp_oid,
                                                      const gchar *smdp_address, GError **error);
gboolean esim_es10_parse_configure_immediate_enable (GBytes *response, GError **error);

/* ---- async calls over an open EsimIsdr ---- */

/* The card's answer whichever arm it is (see above); a GError only when the
 * request was refused before sending, the transport or a status word failed,
 * or the answer is no EuiccPackageResult. */
void     esim_es10_load_euicc_package (EsimIsdr *isdr, GBytes *package, ESIM_ES10_ASYNC_ARGS);
EsimEuiccPackageResult *esim_es10_load_euicc_package_finish (EsimIsdr *isdr, GAsyncResult *res,
                                                             GError **error);
void     esim_es10_profile_rollback (EsimIsdr *isdr, gboolean refresh, ESIM_ES10_ASYNC_ARGS);
EsimProfileRollbackOk *esim_es10_profile_rollback_finish (EsimIsdr *isdr, GAsyncResult *res,
                                                          GError **error);
void     esim_es10_immediate_enable (EsimIsdr *isdr, gboolean refresh, ESIM_ES10_ASYNC_ARGS);
gboolean esim_es10_immediate_enable_finish (EsimIsdr *isdr, GAsyncResult *res, GError **error);
void     esim_es10_configure_immediate_enable (EsimIsdr *isdr, gboolean enable, const gchar *smdp_oid,
                                               const gchar *smdp_address, ESIM_ES10_ASYNC_ARGS);
gboolean esim_es10_configure_immediate_enable_finish (EsimIsdr *isdr, GAsyncResult *res,
                                                      GError **error);

G_END_DECLS
