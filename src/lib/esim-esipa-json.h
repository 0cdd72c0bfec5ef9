/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESipa JSON binding (SGP.32 v1.2 §6.4): the same messages and the same typed
 * model as the ASN.1 binding (esim-esipa.h), as JSON bodies POSTed to
 * https://<eimFqdn>/gsma/rsp2/esipa/<function>.  Pure: no network.
 *
 * Member names and value forms come from the two public implementations of
 * this binding, Iapyx-Informatica/onomondo-ipa src/ipa/libipa/esipa_json.c
 * (an IPA, which quotes §6.4.1) and openiotrsp/openiotrsp esipa/gsma_json.go
 * (an eIM, tested against a production IPA: vectors.md V8).  ASN.1 objects
 * travel as standard base64 of the same whole DER TLV the ASN.1 binding
 * carries (the eIM's signatures, euiccCiPKIdentifierToBeUsed and hashCc are
 * also accepted as base64 of the value alone, as osmo-ttcn3-hacks and the
 * Iapyx client have them); transaction IDs as hex; eidValue as its 32 digits;
 * euiccChallenge as base64 of its 16 bytes; matchingId and smdpAddress as
 * strings; eimPackageError and stateChangeCause as numbers.  A response
 * header (SGP.22 §6.5.1.4) is checked when the eIM sends one ("Failed" is
 * ESIM_ESIPA_ERROR_REFUSED, "Expired" ESIM_ESIPA_ERROR_EXPIRED).
 *
 * Errors as in esim-esipa.h.
 */
#pragma once

#include "esim-esipa.h"

G_BEGIN_DECLS

#define ESIM_ESIPA_JSON_CONTENT_TYPE  "application/json;charset=UTF-8"

#define ESIM_ESIPA_JSON_PATH_INITIATE_AUTHENTICATION  "/gsma/rsp2/esipa/initiateAuthentication"
#define ESIM_ESIPA_JSON_PATH_AUTHENTICATE_CLIENT      "/gsma/rsp2/esipa/authenticateClient"
#define ESIM_ESIPA_JSON_PATH_GET_BOUND_PROFILE_PACKAGE "/gsma/rsp2/esipa/getBoundProfilePackage"
#define ESIM_ESIPA_JSON_PATH_TRANSFER_EIM_PACKAGE     "/gsma/rsp2/esipa/transferEimPackage"
#define ESIM_ESIPA_JSON_PATH_GET_EIM_PACKAGE          "/gsma/rsp2/esipa/getEimPackage"
#define ESIM_ESIPA_JSON_PATH_PROVIDE_EIM_PACKAGE_RESULT "/gsma/rsp2/esipa/provideEimPackageResult"
#define ESIM_ESIPA_JSON_PATH_HANDLE_NOTIFICATION      "/gsma/rsp2/esipa/handleNotification"
#define ESIM_ESIPA_JSON_PATH_CANCEL_SESSION           "/gsma/rsp2/esipa/cancelSession"

/* ---- IPA → eIM: request bodies (the arguments are checked as the ASN.1
 * encoders check them; nothing is built on a bad one) ---- */

/* {"eidValue", "notifyStateChange": true, "stateChangeCause": n}.  rPLMN is
 * checked but not sent: no public source shows its JSON form. */
gchar *esim_esipa_json_build_get_eim_package (const EsimGetEimPackageRequest *request,
                                              GError **error);
/* {"eidValue" (when @eid), "eimPackageResult": base64 of the EimPackageResult TLV} */
gchar *esim_esipa_json_build_provide_eim_package_result (const gchar *eid,
                                                         const EsimEimPackageResult *result,
                                                         GError **error);
/* {"pendingNotification": base64 of the card's PendingNotification} (V8) */
gchar *esim_esipa_json_build_handle_notification (GBytes *pending_notification, GError **error);
/* {"provideEimPackageResult": base64 of the ProvideEimPackageResult (BF50)} */
gchar *esim_esipa_json_build_handle_notification_result (const gchar *eid,
                                                         const EsimEimPackageResult *result,
                                                         GError **error);
gchar *esim_esipa_json_build_initiate_authentication (GBytes *euicc_challenge, GBytes *euicc_info1,
                                                      const gchar *smdp_address,
                                                      const gchar *eim_transaction_id,
                                                      GError **error);
gchar *esim_esipa_json_build_authenticate_client (const gchar *transaction_id,
                                                  GBytes *authenticate_server_response,
                                                  GError **error);
gchar *esim_esipa_json_build_get_bound_profile_package (const gchar *transaction_id,
                                                        GBytes *prepare_download_response,
                                                        GError **error);
/* {"transactionId", "cancelSessionResponse": base64 of the card's whole BF41} */
gchar *esim_esipa_json_build_cancel_session (const gchar *transaction_id,
                                             GBytes *cancel_session_response, GError **error);
/* The answer to a pushed package (the IPA serves transferEimPackage). */
gchar *esim_esipa_json_build_transfer_eim_package_response (const EsimTransferEimPackageResponse *response,
                                                            GError **error);

/* ---- eIM → IPA: answers and pushed requests ---- */

EsimEimPackage            *esim_esipa_json_parse_get_eim_package_response (const gchar *body, gsize len,
                                                                         GError **error);
EsimEimPackage            *esim_esipa_json_parse_transfer_eim_package_request (const gchar *body,
                                                                             gsize len,
                                                                             GError **error);
/* An empty body (HTTP 204) or a header alone is emptyResponse. */
EsimProvideResultResponse *esim_esipa_json_parse_provide_eim_package_result_response (const gchar *body,
                                                                                    gsize len,
                                                                                    GError **error);
/* The download relay: on a "Failed"/"Expired" header, @status (nullable)
 * gets what the eIM said. */
EsimInitiateAuthenticationOk *esim_esipa_json_parse_initiate_authentication_response (const gchar *body,
                                                                                     gsize len,
                                                                                     EsimEs9pStatus **status,
                                                                                     GError **error);
EsimAuthenticateClientOk     *esim_esipa_json_parse_authenticate_client_response (const gchar *body,
                                                                                 gsize len,
                                                                                 EsimEs9pStatus **status,
                                                                                 GError **error);
EsimBoundProfilePackageOk    *esim_esipa_json_parse_get_bound_profile_package_response (const gchar *body,
                                                                                       gsize len,
                                                                                       EsimEs9pStatus **status,
                                                                                       GError **error);
/* HandleNotification has no answer: an empty body (204), or a header alone
 * (osmo-ttcn3-hacks esipa_Types_JSON.ttcn JSON_ESipa_EmptyResponse), whose
 * "Failed"/"Expired" status is the eIM's refusal. */
gboolean                      esim_esipa_json_parse_handle_notification_response (const gchar *body,
                                                                                 gsize len,
                                                                                 EsimEs9pStatus **status,
                                                                                 GError **error);
/* An empty body is accepted. */
gboolean                      esim_esipa_json_parse_cancel_session_response (const gchar *body,
                                                                            gsize len,
                                                                            EsimEs9pStatus **status,
                                                                            GError **error);

G_END_DECLS
