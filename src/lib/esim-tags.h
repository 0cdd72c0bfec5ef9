/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every protocol constant in one place: ES10 function tags, the tags inside
 * the structures we build or read, ESipa message tags, ISO 7816 instruction
 * bytes and status words, and the limits the specifications set.  Shared by
 * the core library, the software eUICC and the test servers, so that a tag is
 * written once and named where it is used.
 *
 * Tags are their on-the-wire bytes (EsimTag, esim-der.h).  Sources: the
 * SGP.22 v2.5 and SGP.32 v1.2 ASN.1 modules (shared/asn1/), with the wire
 * forms checked in shared/reference/sgp32-digest.md.  A context-specific tag
 * is named after the field it carries in the structure it belongs to: the
 * same byte (0x80) means different things in different structures.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- ASN.1 universal tags ---- */
#define ESIM_TAG_BOOLEAN              0x01
#define ESIM_TAG_INTEGER              0x02
#define ESIM_TAG_BIT_STRING           0x03
#define ESIM_TAG_OCTET_STRING         0x04
#define ESIM_TAG_NULL                 0x05
#define ESIM_TAG_OID                  0x06
#define ESIM_TAG_UTF8_STRING          0x0C
#define ESIM_TAG_SEQUENCE             0x30

/* ---- identifiers and common fields ---- */
#define ESIM_TAG_ICCID                0x5A   /* [APPLICATION 26] Iccid (also eidValue, same tag) */
#define ESIM_TAG_EID                  0x5A   /* [APPLICATION 26] eidValue */
#define ESIM_TAG_TAG_LIST             0x5C   /* [APPLICATION 28] tagList */
#define ESIM_TAG_ISDP_AID             0x4F   /* [APPLICATION 15] isdpAid */
#define ESIM_TAG_SIGNATURE            0x5F37 /* [APPLICATION 55] signatures (raw r‖s) */
#define ESIM_TAG_PROFILE_INFO         0xE3   /* [PRIVATE 3] ProfileInfo */
#define ESIM_TAG_FCI                  0x6F   /* SELECT response FCI template */
#define ESIM_TAG_ISDR_PROPRIETARY     0xE0   /* [PRIVATE 0] ISD-R proprietary application template */
#define ESIM_TAG_ISDR_PROPRIETARY_IOT 0xE1   /* [PRIVATE 1] SGP.32 ISDRProprietaryApplicationTemplateIoT */
#define ESIM_TAG_TERMINAL_CAPABILITY  0xA9   /* ETSI TS 102 221 §11.1.19 terminal capability template */
#define ESIM_TAG_EUICC_TERMINAL_CAPS  0x83   /* …its eUICC-related capabilities */

/* ---- ES10a/b/c function tags (request and response share the tag) ---- */
#define ESIM_TAG_PREPARE_DOWNLOAD           0xBF21
#define ESIM_TAG_GET_EUICC_INFO1            0xBF20
#define ESIM_TAG_GET_EUICC_INFO2            0xBF22
#define ESIM_TAG_INITIALISE_SECURE_CHANNEL  0xBF23 /* first BPP segment */
#define ESIM_TAG_PROFILE_METADATA           0xBF25 /* StoreMetadataRequest */
#define ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA 0xBF27
#define ESIM_TAG_LIST_NOTIFICATION          0xBF28
#define ESIM_TAG_SET_NICKNAME               0xBF29
#define ESIM_TAG_RETRIEVE_NOTIFICATIONS     0xBF2B
#define ESIM_TAG_GET_PROFILES_INFO          0xBF2D
#define ESIM_TAG_GET_EUICC_CHALLENGE        0xBF2E
#define ESIM_TAG_NOTIFICATION_METADATA      0xBF2F
#define ESIM_TAG_REMOVE_NOTIFICATION        0xBF30
#define ESIM_TAG_ENABLE_PROFILE             0xBF31
#define ESIM_TAG_DISABLE_PROFILE            0xBF32
#define ESIM_TAG_DELETE_PROFILE             0xBF33
#define ESIM_TAG_MEMORY_RESET_SGP22         0xBF34
#define ESIM_TAG_LOAD_CRL                   0xBF35
#define ESIM_TAG_BOUND_PROFILE_PACKAGE      0xBF36
#define ESIM_TAG_PROFILE_INSTALLATION_RESULT 0xBF37
#define ESIM_TAG_AUTHENTICATE_SERVER        0xBF38
#define ESIM_TAG_GET_CONFIGURED_ADDRESSES   0xBF3C
#define ESIM_TAG_GET_EID                    0xBF3E
#define ESIM_TAG_SET_DEFAULT_DP_SGP22       0xBF3F
#define ESIM_TAG_CANCEL_SESSION             0xBF41
#define ESIM_TAG_LPAE_ACTIVATION            0xBF42
#define ESIM_TAG_GET_RAT                    0xBF43
/* SGP.32 v1.2 ES10b */
#define ESIM_TAG_LOAD_EUICC_PACKAGE         0xBF51 /* EuiccPackageRequest / EuiccPackageResult */
#define ESIM_TAG_GET_EIM_CONFIGURATION_DATA 0xBF55
#define ESIM_TAG_GET_CERTS                  0xBF56
#define ESIM_TAG_ADD_INITIAL_EIM            0xBF57
#define ESIM_TAG_PROFILE_ROLLBACK           0xBF58
#define ESIM_TAG_CONFIGURE_IMMEDIATE_ENABLE 0xBF59
#define ESIM_TAG_IMMEDIATE_ENABLE           0xBF5A
#define ESIM_TAG_ENABLE_EMERGENCY_PROFILE   0xBF5B
#define ESIM_TAG_DISABLE_EMERGENCY_PROFILE  0xBF5C
#define ESIM_TAG_EXECUTE_FALLBACK           0xBF5D
#define ESIM_TAG_RETURN_FROM_FALLBACK       0xBF5E
#define ESIM_TAG_GET_CONNECTIVITY_PARAMS    0xBF5F
#define ESIM_TAG_MEMORY_RESET_SGP32         0xBF64
#define ESIM_TAG_SET_DEFAULT_DP_SGP32       0xBF65

/* ---- inside the BoundProfilePackage (BF36), SGP.22 §5.5 ---- */
#define ESIM_TAG_BPP_CONFIGURE_ISDP_LIST    0xA0   /* firstSequenceOf87 */
#define ESIM_TAG_BPP_STORE_METADATA_LIST    0xA1   /* sequenceOf88 */
#define ESIM_TAG_BPP_REPLACE_KEYS_LIST      0xA2   /* secondSequenceOf87 (ReplaceSessionKeys) */
#define ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST  0xA3   /* sequenceOf86 */
#define ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS  0x86
#define ESIM_TAG_BPP_CONFIGURE_ISDP         0x87   /* also ReplaceSessionKeys, encrypted */
#define ESIM_TAG_BPP_STORE_METADATA         0x88   /* MAC only */

/* ---- inside the download structures (SGP.22 v2.5 RSPDefinitions, AUTOMATIC
 * TAGS: a SEQUENCE/CHOICE with no tagged member gets [0], [1]… on every
 * member; one with any tagged member keeps the universal tags of the rest).
 * Checked against AOSP EuiccPort (ctxParams1, hashCc, CancelSession) and the
 * V14 real-card ProfileInstallationResult. ---- */
/* CHOICE answers of AuthenticateServer, PrepareDownload, CancelSession */
#define ESIM_TAG_RESPONSE_OK                0xA0   /* …ResponseOk [0] */
#define ESIM_TAG_RESPONSE_ERROR             0xA1   /* authenticate/downloadResponseError [1] SEQUENCE */
#define ESIM_TAG_RESPONSE_COMPACT           0xA2   /* SGP.32 compact…Ok [2]: an IPA's form for ESipa */
#define ESIM_TAG_CANCEL_SESSION_ERROR       0x81   /* cancelSessionResponseError [1] INTEGER */
#define ESIM_TAG_ERROR_CODE                 0x02   /* authenticateErrorCode, downloadErrorCode: universal */
#define ESIM_TAG_EUICC_CHALLENGE            0x80   /* GetEuiccChallengeResponse.euiccChallenge [0] */
/* ServerSigned1, EuiccSigned1, SmdpSigned2, EUICCSigned2, error answers */
#define ESIM_TAG_TRANSACTION_ID             0x80   /* transactionId [0] */
#define ESIM_TAG_SIGNED1_EUICC_CHALLENGE    0x81   /* ServerSigned1.euiccChallenge [1] */
#define ESIM_TAG_SIGNED1_SERVER_ADDRESS     0x83   /* serverAddress [3] */
#define ESIM_TAG_SIGNED1_SERVER_CHALLENGE   0x84   /* serverChallenge [4] */
#define ESIM_TAG_CC_REQUIRED_FLAG           0x01   /* SmdpSigned2.ccRequiredFlag: universal BOOLEAN */
#define ESIM_TAG_OTPK                       0x5F49 /* [APPLICATION 73] euiccOtpk, bppEuiccOtpk, smdpOtpk */
#define ESIM_TAG_SUBJECT_KEY_ID             0x04   /* euiccCiPKIdToBeUsed: universal OCTET STRING */
#define ESIM_TAG_HASH_CC                    0x04   /* hashCc Octet32: universal, before smdpCertificate */
/* ctxParams1 (CtxParamsForCommonAuthentication) and DeviceInfo */
#define ESIM_TAG_CTX_PARAMS_COMMON_AUTH     0xA0   /* CHOICE alternative [0] */
#define ESIM_TAG_CTX_MATCHING_ID            0x80
#define ESIM_TAG_CTX_DEVICE_INFO            0xA1
#define ESIM_TAG_DEVICE_TAC                 0x80
#define ESIM_TAG_DEVICE_CAPABILITIES        0xA1
#define ESIM_TAG_DEVICE_IMEI                0x82
#define ESIM_TAG_DEVICE_CAPABILITY_BASE     0x80   /* + EsimDeviceCapability number */
/* ProfileInstallationResultData (BF27) */
#define ESIM_TAG_PIR_FINAL_RESULT           0xA2   /* finalResult [2] CHOICE: explicit */
#define ESIM_TAG_PIR_SUCCESS_RESULT         0xA0
#define ESIM_TAG_PIR_ERROR_RESULT           0xA1
#define ESIM_TAG_PIR_SIMA_RESPONSE          0x04   /* SuccessResult: universal (aid is tagged) */
#define ESIM_TAG_PIR_BPP_COMMAND_ID         0x80   /* ErrorResult: automatic */
#define ESIM_TAG_PIR_ERROR_REASON           0x81
#define ESIM_TAG_PIR_ERROR_SIMA_RESPONSE    0x82
/* CancelSessionRequest and EuiccCancelSessionSigned (both automatic) */
#define ESIM_TAG_CANCEL_TRANSACTION_ID      0x80
#define ESIM_TAG_CANCEL_REASON              0x81   /* request: reason [1] */
#define ESIM_TAG_CANCEL_SIGNED_SMDP_OID     0x81   /* signed: smdpOid [1] */
#define ESIM_TAG_CANCEL_SIGNED_REASON       0x82   /* signed: reason [2] */
/* NotificationMetadata (BF2F) */
#define ESIM_TAG_NOTIF_SEQ_NUMBER           0x80
#define ESIM_TAG_NOTIF_OPERATION            0x81
#define ESIM_TAG_NOTIF_ADDRESS              0x0C   /* universal UTF8String */
/* StoreMetadataRequest (BF25) */
#define ESIM_TAG_META_SERVICE_PROVIDER      0x91
#define ESIM_TAG_META_PROFILE_NAME          0x92
#define ESIM_TAG_META_ICON_TYPE             0x93
#define ESIM_TAG_META_PROFILE_CLASS         0x95
#define ESIM_TAG_META_NOTIFICATION_CONFIG   0xB6   /* SEQUENCE OF NotificationConfigurationInformation */
#define ESIM_TAG_META_PPR                   0x99
#define ESIM_TAG_NOTIF_CONFIG_OPERATION     0x80   /* NotificationConfigurationInformation: automatic */
#define ESIM_TAG_NOTIF_CONFIG_ADDRESS       0x81

/* ---- inside the ES10b/c structures the IPA builds and reads (SGP.22 v2.5
 * RSPDefinitions, SGP.32 v1.2; AUTOMATIC TAGS as above) ---- */
/* answers: { [0] result INTEGER }, or a CHOICE { [0] list or ok, [1] error INTEGER } */
#define ESIM_TAG_RESULT                     0x80   /* enableResult, deleteNotificationStatus… */
#define ESIM_TAG_LIST_OK                    0xA0   /* …ListOk, notificationList, certs… */
#define ESIM_TAG_LIST_ERROR                 0x81   /* …ListError, …ResultError, getCertsError… */
#define ESIM_TAG_EUICC_PACKAGE_RESULT_LIST  0xA2   /* RetrieveNotificationsListResponse (SGP.32) */
/* requests */
#define ESIM_TAG_SEARCH_CRITERIA            0xA0   /* searchCriteria [0] CHOICE, explicit */
#define ESIM_TAG_PROFILE_IDENTIFIER         0xA0   /* Enable/DisableProfile [0] CHOICE */
#define ESIM_TAG_REFRESH_FLAG               0x81   /* Enable/DisableProfile refreshFlag */
#define ESIM_TAG_RESET_OPTIONS              0x82   /* EuiccMemoryResetRequest [2] */
#define ESIM_TAG_SEARCH_SEQ_NUMBER          0x80   /* RetrieveNotificationsList: seqNumber */
#define ESIM_TAG_SEARCH_OPERATION           0x81   /* …profileManagementOperation [1] */
#define ESIM_TAG_SEARCH_EUICC_PACKAGE_RESULTS 0x82 /* …euiccPackageResults [2] (SGP.32) */
#define ESIM_TAG_SEARCH_EIM_ID              0x80   /* GetEimConfigurationData: eimId [0] */
#define ESIM_TAG_NOTIFICATION_SENT_SEQ_NUMBER 0x80 /* NotificationSentRequest.seqNumber [0] */
#define ESIM_TAG_DEFAULT_DP_ADDRESS         0x80   /* SetDefaultDpAddress, configured addresses */
#define ESIM_TAG_ROOT_DS_ADDRESS            0x81   /* configured addresses: rootDsAddress */
#define ESIM_TAG_GET_CERTS_CI_PKID          0x80   /* GetCertsRequest.euiccCiPKId [0] */
#define ESIM_TAG_EIM_CONFIGURATION_LIST     0xA0   /* eimConfigurationDataList [0] SEQUENCE OF */
/* EUICCInfo1 (BF20) and EUICCInfo2 (BF22) */
#define ESIM_TAG_INFO_SVN                   0x82   /* svn [2] */
#define ESIM_TAG_INFO_CI_PKIDS_VERIFICATION 0xA9   /* euiccCiPKIdListForVerification [9] */
#define ESIM_TAG_INFO_CI_PKIDS_SIGNING      0xAA   /* euiccCiPKIdListForSigning [10] */
#define ESIM_TAG_INFO2_PROFILE_VERSION      0x81   /* profileVersion [1] */
#define ESIM_TAG_INFO2_FIRMWARE_VERSION     0x83   /* euiccFirmwareVer [3] */
#define ESIM_TAG_INFO2_EXT_CARD_RESOURCE    0x84   /* extCardResource [4] */
#define ESIM_TAG_INFO2_TS102241_VERSION     0x86   /* ts102241Version [6] */
#define ESIM_TAG_INFO2_GP_VERSION           0x87   /* globalplatformVersion [7] */
#define ESIM_TAG_INFO2_PP_VERSION           0x04   /* ppVersion: universal OCTET STRING */
#define ESIM_TAG_INFO2_SAS_ACCREDITATION    0x0C   /* sasAcreditationNumber: universal UTF8String */
#define ESIM_TAG_INFO2_IPA_MODE             0x90   /* ipaMode [16] (SGP.32) */
#define ESIM_TAG_INFO2_IOT_SPECIFIC_INFO    0xB4   /* iotSpecificInfo [20] (SGP.32) */
#define ESIM_TAG_IOT_VERSIONS               0xA0   /* IoTSpecificInfo.iotVersion [0] SEQUENCE OF */
#define ESIM_TAG_IOT_ECALL_SUPPORTED        0x81
#define ESIM_TAG_IOT_FALLBACK_SUPPORTED     0x82
/* extCardResource content (ETSI TS 102 226 §8.2.1.3.2) */
#define ESIM_TAG_ECR_INSTALLED_APPLICATIONS 0x81
#define ESIM_TAG_ECR_FREE_NVM               0x82
#define ESIM_TAG_ECR_FREE_VOLATILE          0x83
/* ProfileInfo (E3), also ProfileInfoListRequest's profileClass */
#define ESIM_TAG_PROFILE_STATE              0x9F70 /* profileState [112] */
#define ESIM_TAG_PROFILE_NICKNAME           0x90   /* profileNickname [16], also SetNickname */
#define ESIM_TAG_PROFILE_SERVICE_PROVIDER   0x91   /* serviceProviderName [17] */
#define ESIM_TAG_PROFILE_NAME               0x92   /* profileName [18] */
#define ESIM_TAG_PROFILE_CLASS              0x95   /* profileClass [21] */
#define ESIM_TAG_PROFILE_FALLBACK_ATTRIBUTE 0x9F26 /* fallbackAttribute [38] (SGP.32) */
#define ESIM_TAG_PROFILE_FALLBACK_ALLOWED   0x9F67 /* fallbackAllowed [103] (SGP.32) */
/* EuiccMemoryResetResponse (SGP.32 BF64) */
#define ESIM_TAG_RESET_RESULT               0x80   /* resetResult [0] */
#define ESIM_TAG_RESET_EIM_RESULT           0x81   /* resetEimResult [1] */
#define ESIM_TAG_RESET_IEC_RESULT           0x82   /* resetImmediateEnableConfigResult [2] */
/* PendingNotification alternatives besides BF37 and OtherSignedNotification (SEQUENCE) */
#define ESIM_TAG_COMPACT_PIR                0xA0   /* compactProfileInstallationResult [0] */
#define ESIM_TAG_COMPACT_OTHER_NOTIFICATION 0xA1   /* compactOtherSignedNotification [1] (SGP.32) */
#define ESIM_TAG_COMPACT_PIR_DATA           0xA0   /* compactProfileInstallationResultData [0] */
#define ESIM_TAG_COMPACT_PIR_SEQ_NUMBER     0x02   /* its seqNumber: universal INTEGER */
/* GetRatResponse (BF43) and ProfilePolicyAuthorisationRule */
#define ESIM_TAG_RAT                        0xA0   /* rat [0] */
#define ESIM_TAG_PPR_IDS                    0x80   /* pprIds [0] */
#define ESIM_TAG_ALLOWED_OPERATORS          0xA1   /* allowedOperators [1] */
#define ESIM_TAG_PPR_FLAGS                  0x82   /* pprFlags [2] */
/* GetCertsResponse certs (implicit: the tag replaces the certificate's SEQUENCE) */
#define ESIM_TAG_EUM_CERTIFICATE            0xA5   /* eumCertificate [5] */
#define ESIM_TAG_EUICC_CERTIFICATE          0xA6   /* euiccCertificate [6] */
/* EimConfigurationData (SGP.32) */
#define ESIM_TAG_EIM_ID                     0x80   /* eimId [0] */
#define ESIM_TAG_EIM_FQDN                   0x81   /* eimFqdn [1] */
#define ESIM_TAG_EIM_ID_TYPE                0x82   /* eimIdType [2] */
#define ESIM_TAG_EIM_COUNTER_VALUE          0x83   /* counterValue [3] */
#define ESIM_TAG_EIM_ASSOCIATION_TOKEN      0x84   /* associationToken [4], also addInitialEimOk */
#define ESIM_TAG_EIM_PUBLIC_KEY_DATA        0xA5   /* eimPublicKeyData [5] CHOICE */
#define ESIM_TAG_EIM_TRUSTED_TLS_DATA       0xA6   /* trustedPublicKeyDataTls [6] CHOICE */
#define ESIM_TAG_EIM_SUPPORTED_PROTOCOL     0x87   /* eimSupportedProtocol [7] */
#define ESIM_TAG_EIM_CI_PKID                0x88   /* euiccCiPKId [8] */
#define ESIM_TAG_EIM_INDIRECT_DOWNLOAD      0x89   /* indirectProfileDownload [9] NULL */
#define ESIM_TAG_ADD_EIM_OK                 0x05   /* addInitialEimOk item addOk: universal NULL */
/* ---- the card's side of the download (SGP.22 v2.5 RSPDefinitions; the
 * tags above serve both sides, these are the rest a card and an SM-DP+
 * build or check) ---- */
/* AuthenticateServerRequest (BF38): serverSigned1 30, serverSignature1 5F37,
 * euiccCiPKIdToBeUsed 04, serverCertificate 30, then ctxParams1 */
#define ESIM_TAG_CTX_PARAMS1                0xA0   /* CtxParams1 CHOICE: ctxParamsForCommonAuthentication [0] */
/* AuthenticateResponseOk [0]: euiccSigned1 30, euiccSignature1 5F37,
 * euiccCertificate 30, eumCertificate 30.  EuiccSigned1 keeps ServerSigned1's
 * tags (transactionId 80, serverAddress 83, serverChallenge 84) and adds: */
#define ESIM_TAG_SIGNED1_EUICC_INFO2        0xBF22 /* euiccInfo2 [34] */
/* SmdpSigned2 and EUICCSigned2: transactionId 80, ccRequiredFlag 01, bppEuiccOtpk /
 * euiccOtpk 5F49, hashCc 04 (the tags above) */
/* ProfileInstallationResultData (BF27): smdpOid keeps its universal tag (ESIM_TAG_OID),
 * SuccessResult.aid is [APPLICATION 15] (ESIM_TAG_ISDP_AID) */
/* EUICCResponse (simaResponse, SIMalliance eUICC Profile Package, PEDefinitions) */
#define ESIM_TAG_EUICC_RESPONSE_PE_STATUS   0xA0   /* peStatus [0] SEQUENCE OF PEStatus */
#define ESIM_TAG_PE_STATUS_STATUS           0x80   /* PEStatus.status [0] */
/* CancelSessionResponse (BF41) */
#define ESIM_TAG_CANCEL_SESSION_OK          0xA0   /* cancelSessionResponseOk [0] */
/* ConfigureISDPRequest (BF24) */
#define ESIM_TAG_CONFIGURE_ISDP             0xBF24
#define ESIM_TAG_DP_PROPRIETARY_DATA        0xB8   /* dpProprietaryData [24] */
#define ESIM_TAG_REPLACE_SESSION_KEYS       0xBF26
/* StoreMetadataRequest (BF25), the members the tags above do not name */
#define ESIM_TAG_META_ICON                  0x94
#define ESIM_TAG_META_PROFILE_OWNER         0xB7
#define ESIM_TAG_META_SERVICE_DATA_STORED   0xBF22 /* serviceSpecificDataStoredInEuicc [34] */
#define ESIM_TAG_META_SERVICE_DATA_NOT_STORED 0xBF23 /* serviceSpecificDataNotStoredInEuicc [35] */
/* Profile elements of an unprotected profile package (PEDefinitions v3.3,
 * ProfileElement CHOICE, AUTOMATIC TAGS: header [0], …, nonStandard [9], end [10]) */
#define ESIM_TAG_PE_HEADER                  0xA0
#define ESIM_TAG_PE_NON_STANDARD            0xA9
#define ESIM_TAG_PE_END                     0xAA
#define ESIM_TAG_PE_HEADER_MAJOR_VERSION    0x80   /* ProfileHeader, automatic */
#define ESIM_TAG_PE_HEADER_MINOR_VERSION    0x81
#define ESIM_TAG_PE_HEADER_PROFILE_TYPE     0x82
#define ESIM_TAG_PE_HEADER_ICCID            0x83   /* digits in order, F-padded (not swapped) */
#define ESIM_TAG_PE_HEADER_MANDATORY_SERVICES 0xA5
#define ESIM_TAG_PE_HEADER_MANDATORY_GFSTE  0xA6
#define ESIM_TAG_PE_SUB_HEADER              0xA0   /* PEHeader inside a PE: [0] */
#define ESIM_TAG_PE_SUB_HEADER_IDENTIFICATION 0x81 /* PEHeader.identification [1] */
#define ESIM_TAG_PE_NON_STANDARD_ISSUER     0x81   /* PE-NonStandard.issuerID [1] */
#define ESIM_TAG_PE_NON_STANDARD_CONTENT    0x82   /* PE-NonStandard.content [2] */

/* ---- EUICCInfo1 (BF20) and EUICCInfo2 (BF22): SGP.22 v2.5, SGP.32 v1.2 ---- */
#define ESIM_TAG_INFO2_UICC_CAPABILITY       0x85
#define ESIM_TAG_INFO2_RSP_CAPABILITY        0x88
#define ESIM_TAG_INFO2_FORBIDDEN_PPR         0x99
#define ESIM_TAG_INFO2_MIN_SECURITY_LEVEL    0x95   /* SGP.32 euiccMinimumSecurityLevel [21] */

/* ---- ES10c and the other ES10b structures a card answers (SGP.22 v2.5,
 * SGP.32 v1.2, both AUTOMATIC TAGS) ---- */
#define ESIM_TAG_CHOICE_ERROR               0x81   /* the error INTEGER [1] of a CHOICE response */
#define ESIM_TAG_CHOICE_OK_LIST             0xA0   /* the list [0] of a CHOICE response */
/* ProfileInfo (E3) members; iccid 5A and isdpAid 4F above */
#define ESIM_TAG_PROFILE_SEARCH_CRITERIA    0xA0   /* ProfileInfoListRequest.searchCriteria [0] */
/* EnableProfile / DisableProfile */
#define ESIM_TAG_SWITCH_PROFILE_IDENTIFIER  0xA0   /* profileIdentifier [0] CHOICE */
#define ESIM_TAG_SWITCH_REFRESH_FLAG        0x81
/* eUICCMemoryReset (BF34 / BF64) */
#define ESIM_TAG_RESET_IMMEDIATE_ENABLE_RESULT 0x82 /* SGP.32 resetImmediateEnableConfigResult [2] */
/* ListNotification (BF28) and RetrieveNotificationsList (BF2B) */
#define ESIM_TAG_NOTIF_LIST_OPERATION       0x81   /* ListNotificationRequest.profileManagementOperation [1] */
#define ESIM_TAG_NOTIF_SEARCH_CRITERIA      0xA0   /* searchCriteria [0] CHOICE */
#define ESIM_TAG_NOTIF_SEARCH_SEQ_NUMBER    0x80
#define ESIM_TAG_NOTIF_SEARCH_OPERATION     0x81
#define ESIM_TAG_NOTIF_SEARCH_EPR           0x82   /* SGP.32 euiccPackageResults [2] NULL */
#define ESIM_TAG_NOTIF_LIST_EPR             0xA2   /* SGP.32 euiccPackageResultList [2] */
#define ESIM_TAG_REMOVE_NOTIF_SEQ_NUMBER    0x80
/* EuiccConfiguredAddresses (BF3C) and SetDefaultDpAddress (BF3F / BF65) */
/* RulesAuthorisationTable (BF43) */
#define ESIM_TAG_RAT_PPR_IDS                0x80
#define ESIM_TAG_RAT_ALLOWED_OPERATORS      0xA1
#define ESIM_TAG_RAT_MCC_MNC                0x80   /* OperatorId.mccMnc */
#define ESIM_TAG_RAT_PPR_FLAGS              0x82
/* GetCerts (SGP.32 BF56) */
#define ESIM_TAG_CERTS_CI_PKID              0x80   /* GetCertsRequest.euiccCiPKId [0] */
#define ESIM_TAG_CERTS                      0xA0   /* certs [0] */
#define ESIM_TAG_CERTS_EUM                  0xA5   /* eumCertificate [5] */
#define ESIM_TAG_CERTS_EUICC                0xA6   /* euiccCertificate [6] */
/* EimConfigurationData (SGP.32 v1.2 §2.11.1.1), automatic */
#define ESIM_TAG_EIM_TRUSTED_KEY_TLS        0xA6
#define ESIM_TAG_EIM_EUICC_CI_PKID          0x88
#define ESIM_TAG_EIM_PROTOCOL_VERSIONS      0xAA
#define ESIM_TAG_EIM_CONFIG_LIST            0xA0   /* GetEimConfigurationData list / AddInitialEim list [0] */
#define ESIM_TAG_EIM_SEARCH_CRITERIA        0xA0   /* GetEimConfigurationDataRequest.searchCriteria [0] */
/* LpaeActivation / IpaeActivation (BF42) */
#define ESIM_TAG_LPAE_OPTION                0x80
/* SELECT response FCI (ISO 7816-4, GlobalPlatform) */
#define ESIM_TAG_FCI_AID                    0x84
#define ESIM_TAG_FCI_PROPRIETARY            0xA5
#define ESIM_TAG_FCI_MAX_LENGTH             0x9F65
#define ESIM_TAG_ISDR_SVN                   0x82   /* inside E0 */
#define ESIM_TAG_ISDR_EUICC_CONFIGURATION   0x80   /* inside E1 */

/* ---- ESipa message tags (SGP.32 v1.2 §6; envelope alternatives) ---- */
#define ESIM_TAG_ESIPA_INITIATE_AUTHENTICATION 0xBF39
#define ESIM_TAG_ESIPA_GET_BOUND_PROFILE_PACKAGE 0xBF3A
#define ESIM_TAG_ESIPA_AUTHENTICATE_CLIENT  0xBF3B
#define ESIM_TAG_ESIPA_HANDLE_NOTIFICATION  0xBF3D
#define ESIM_TAG_ESIPA_CANCEL_SESSION       0xBF41
#define ESIM_TAG_ESIPA_TRANSFER_EIM_PACKAGE 0xBF4E
#define ESIM_TAG_ESIPA_GET_EIM_PACKAGE      0xBF4F
#define ESIM_TAG_ESIPA_PROVIDE_EIM_PACKAGE_RESULT 0xBF50
#define ESIM_TAG_IPA_EUICC_DATA_REQUEST     0xBF52 /* and IpaEuiccDataResponse */
#define ESIM_TAG_EIM_ACKNOWLEDGEMENTS       0xBF53
#define ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER   0xBF54 /* request and result */
#define ESIM_TAG_EIM_PACKAGE_RECEIVED_CID   0xBF60
#define ESIM_TAG_EIM_PACKAGE_ERROR_CID      0xBF61
/* Inside the ESipa messages (SGP.32 v1.2 module, AUTOMATIC TAGS; wire forms
 * in sgp32-digest.md §3.2–§3.3, checked there with asn1c).  A tagged CHOICE is
 * explicit: its [n] wraps the alternative's own tag. */
/* InitiateAuthenticationRequestEsipa (BF39) */
#define ESIM_TAG_ESIPA_EUICC_CHALLENGE      0x81   /* euiccChallenge [1] Octet16 */
#define ESIM_TAG_ESIPA_EIM_TRANSACTION_ID   0x82   /* eimTransactionId [2] */
#define ESIM_TAG_ESIPA_SMDP_ADDRESS         0x83   /* smdpAddress [3] */
/* InitiateAuthenticationOkEsipa (A0 inside BF39) */
#define ESIM_TAG_ESIPA_MATCHING_ID          0x0C   /* matchingId: universal UTF8String */
#define ESIM_TAG_ESIPA_CTX_PARAMS1          0xA2   /* ctxParams1 [2] CtxParams1 (explicit: a CHOICE) */
/* the OK / error alternatives of the relay answers (automatic tags) */
#define ESIM_TAG_ESIPA_OK                   0xA0   /* …OkEsipa [0]; okDP of AuthenticateClient */
#define ESIM_TAG_ESIPA_OK_DS                0xA1   /* authenticateClientOkDSEsipa [1] */
#define ESIM_TAG_ESIPA_ERROR                0x81   /* …ErrorEsipa [1] INTEGER */
#define ESIM_TAG_ESIPA_AUTH_CLIENT_ERROR    0x82   /* authenticateClientErrorEsipa [2] INTEGER */
/* CancelSessionRequestEsipa (BF41): automatic tags on both untagged members */
#define ESIM_TAG_ESIPA_CANCEL_TRANSACTION_ID 0x80
#define ESIM_TAG_ESIPA_CANCEL_RESPONSE      0xA1   /* <contents of the card's BF41> */
/* HandleNotificationEsipa (BF3D) */
#define ESIM_TAG_ESIPA_PENDING_NOTIFICATION 0xA0   /* pendingNotification [0] (explicit: a CHOICE) */
/* GetEimPackageRequest (BF4F) */
#define ESIM_TAG_ESIPA_NOTIFY_STATE_CHANGE  0x80   /* notifyStateChange [0] NULL */
#define ESIM_TAG_ESIPA_STATE_CHANGE_CAUSE   0x81   /* stateChangeCause [1] */
#define ESIM_TAG_ESIPA_RPLMN                0x82   /* rPLMN [2] OCTET STRING (SIZE(3)) */
/* EimPackageResult (inside BF50) and TransferEimPackageResponse (BF4E) */
#define ESIM_TAG_ESIPA_EPR_AND_NOTIFICATIONS 0x30  /* ePRAndNotifications: untagged SEQUENCE */
#define ESIM_TAG_ESIPA_NOTIFICATION_LIST    0xA0   /* notificationList [0] PendingNotificationList */
#define ESIM_TAG_ESIPA_RESULT_ERROR         0xA0   /* eimPackageResultResponseError [0] */
#define ESIM_TAG_ESIPA_ERROR_TRANSACTION_ID 0x80   /* …ResponseError.eimTransactionId [0] */
#define ESIM_TAG_ESIPA_EIM_PACKAGE_RECEIVED 0x05   /* eimPackageReceived: universal NULL */
#define ESIM_TAG_ESIPA_CORRELATION_ID       0xA0   /* …WithCid.correlationId [0] (explicit CHOICE) */
#define ESIM_TAG_ESIPA_CID_TRANSACTION_ID   0x80   /* correlationId.eimTransactionId [0] */
#define ESIM_TAG_ESIPA_CID_ERROR            0x81   /* EimPackageErrorWithCid.eimPackageError [1] */
/* ProvideEimPackageResultResponse (BF50) */
#define ESIM_TAG_ESIPA_EMPTY_RESPONSE       0x30   /* emptyResponse SEQUENCE {} */
/* EimAcknowledgements (BF53) */
#define ESIM_TAG_ESIPA_SEQUENCE_NUMBER      0x80   /* SequenceNumber ::= [0] INTEGER */
/* IpaEuiccDataRequest (BF52): tagList is tagged, so the rest keep universal tags */
#define ESIM_TAG_IPA_DATA_CI_PKID           0x04   /* euiccCiPKIdentifierToBeUsed */
#define ESIM_TAG_IPA_DATA_SEARCH_NOTIFICATION 0xA1 /* searchCriteriaNotification [1] (explicit CHOICE) */
#define ESIM_TAG_IPA_DATA_SEARCH_EPR        0xA2   /* searchCriteriaEuiccPackageResult [2] (explicit CHOICE) */
#define ESIM_TAG_IPA_DATA_SEARCH_SEQ_NUMBER 0x80   /* …seqNumber [0] */
#define ESIM_TAG_IPA_DATA_SEARCH_OPERATION  0x81   /* …profileManagementOperation [1] */
#define ESIM_TAG_IPA_DATA_REQUEST_TRANSACTION_ID 0x83 /* eimTransactionId [3] */
/* IpaEuiccDataResponse (BF52): a CHOICE without tagged alternatives */
#define ESIM_TAG_IPA_EUICC_DATA             0xA0   /* ipaEuiccData [0] */
#define ESIM_TAG_IPA_EUICC_DATA_ERROR       0xA1   /* ipaEuiccDataResponseError [1] { 80 OPT, 02 } */
/* IpaEuiccData members, the values an IpaEuiccDataRequest tagList names (v1.2;
 * v1.0 used 80 and BF2B, which a v1.2 IPA does not serve) */
#define ESIM_TAG_IPA_DATA_NOTIFICATIONS     0xA0   /* notificationsList [0] */
#define ESIM_TAG_IPA_DATA_DEFAULT_SMDP      0x81   /* defaultSmdpAddress [1] */
#define ESIM_TAG_IPA_DATA_EPR_LIST          0xA2   /* euiccPackageResultList [2] */
#define ESIM_TAG_IPA_DATA_EUICC_INFO1       0xBF20 /* euiccInfo1 [32] */
#define ESIM_TAG_IPA_DATA_EUICC_INFO2       0xBF22 /* euiccInfo2 [34] */
#define ESIM_TAG_IPA_DATA_ROOT_SMDS         0x83   /* rootSmdsAddress [3] */
#define ESIM_TAG_IPA_DATA_ASSOCIATION_TOKEN 0x84   /* associationToken [4] */
#define ESIM_TAG_IPA_DATA_EUM_CERTIFICATE   0xA5   /* eumCertificate [5]: implicit, replaces 30 */
#define ESIM_TAG_IPA_DATA_EUICC_CERTIFICATE 0xA6   /* euiccCertificate [6]: implicit */
#define ESIM_TAG_IPA_DATA_TRANSACTION_ID    0x87   /* eimTransactionId [7] */
#define ESIM_TAG_IPA_DATA_CAPABILITIES      0xA8   /* ipaCapabilities [8] */
#define ESIM_TAG_IPA_DATA_DEVICE_INFO       0xA9   /* deviceInfo [9] */
/* IpaCapabilities (A8) */
#define ESIM_TAG_IPA_FEATURES               0x80   /* ipaFeatures [0] BIT STRING */
#define ESIM_TAG_IPA_SUPPORTED_PROTOCOLS    0x81   /* ipaSupportedProtocols [1] BIT STRING */
/* ProfileDownloadTriggerRequest (BF54) */
#define ESIM_TAG_TRIGGER_DOWNLOAD_DATA      0xA0   /* profileDownloadData [0] (explicit CHOICE) */
#define ESIM_TAG_TRIGGER_ACTIVATION_CODE    0x80   /* activationCode [0] UTF8String (SIZE(0..255)) */
#define ESIM_TAG_TRIGGER_DEFAULT_SMDP       0x81   /* contactDefaultSmdp [1] NULL */
#define ESIM_TAG_TRIGGER_SMDS               0xA2   /* contactSmds [2] SEQUENCE */
#define ESIM_TAG_TRIGGER_SMDS_ADDRESS       0x80   /* smdsAddress: untagged alone, so automatic [0] */
#define ESIM_TAG_TRIGGER_TRANSACTION_ID     0x82   /* eimTransactionId [2] */
/* ProfileDownloadTriggerResult (BF54): eimTransactionId is tagged, so the
 * untagged CHOICE keeps its alternatives' own tags */
#define ESIM_TAG_TRIGGER_RESULT_TRANSACTION_ID 0x82 /* eimTransactionId [2] */
#define ESIM_TAG_TRIGGER_DOWNLOAD_ERROR     0x30   /* profileDownloadError SEQUENCE */
#define ESIM_TAG_TRIGGER_ERROR_REASON       0x80   /* profileDownloadErrorReason [0] */
#define ESIM_TAG_TRIGGER_ERROR_RESPONSE     0x04   /* errorResponse: universal OCTET STRING */
/* EuiccPackageRequest (BF51) and EuiccPackageResult (BF51), read for routing only */
#define ESIM_TAG_EPR_SIGNED                 0xA0   /* euiccPackageResultSigned [0] */
#define ESIM_TAG_EPR_ERROR_SIGNED           0xA1   /* euiccPackageErrorSigned [1] */
#define ESIM_TAG_EPR_ERROR_UNSIGNED         0xA2   /* euiccPackageErrorUnsigned [2] */
#define ESIM_TAG_EUICC_PACKAGE_EIM_ID       0x80   /* EuiccPackageSigned.eimId [0] */
#define ESIM_TAG_EUICC_PACKAGE_COUNTER      0x81   /* counterValue [1] */
#define ESIM_TAG_EUICC_PACKAGE_TRANSACTION_ID 0x82 /* eimTransactionId [2] */
#define ESIM_TAG_EUICC_PACKAGE_PSMO_LIST    0xA0   /* euiccPackage.psmoList [0] */
#define ESIM_TAG_EUICC_PACKAGE_ECO_LIST     0xA1   /* euiccPackage.ecoList [1] */
/* EuiccPackageResultDataSigned and the error arms (digest §3.5; the eimId,
 * counterValue and eimTransactionId tags are the request's, above) */
#define ESIM_TAG_EPR_SEQ_NUMBER             0x83   /* seqNumber [3] */
#define ESIM_TAG_EPR_RESULTS                0x30   /* euiccResult SEQUENCE OF EuiccResultData */
#define ESIM_TAG_EPR_ERROR_CODE             0x02   /* euiccPackageErrorCode: universal INTEGER */
#define ESIM_TAG_EPR_UNSIGNED_TOKEN         0x84   /* euiccPackageErrorUnsigned.associationToken [4] */
#define ESIM_TAG_EPR_UNSIGNED_CODE          0x8F   /* …euiccPackageUnsignedErrorCode [15] */
/* Psmo alternatives (digest §3.4: a [n] on a SEQUENCE is constructed) */
#define ESIM_TAG_PSMO_ENABLE                0xA3   /* enable [3] { 5A iccid, 05 rollbackFlag OPT } */
#define ESIM_TAG_PSMO_DISABLE               0xA4   /* disable [4] { 5A iccid } */
#define ESIM_TAG_PSMO_DELETE                0xA5   /* delete [5] { 5A iccid } */
#define ESIM_TAG_PSMO_LIST_PROFILE_INFO     0xBF2D /* listProfileInfo [45] ProfileInfoListRequest */
#define ESIM_TAG_PSMO_GET_RAT               0xA6   /* getRAT [6] {} */
#define ESIM_TAG_PSMO_CONFIGURE_IMMEDIATE_ENABLE 0xA7 /* configureImmediateEnable [7] */
#define ESIM_TAG_PSMO_SET_FALLBACK          0xA8   /* setFallbackAttribute [8] { 5A iccid } */
#define ESIM_TAG_PSMO_UNSET_FALLBACK        0xA9   /* unsetFallbackAttribute [9] {} */
#define ESIM_TAG_PSMO_SET_DEFAULT_DP        0xBF65 /* setDefaultDpAddress [101] { 80 address } */
#define ESIM_TAG_PSMO_ROLLBACK_FLAG         0x05   /* enable.rollbackFlag: universal NULL (iccid is tagged) */
/* configureImmediateEnable [7], also ConfigureImmediateProfileEnablingRequest (BF59) */
#define ESIM_TAG_IMMEDIATE_ENABLE_FLAG      0x80   /* immediateEnableFlag [0] NULL */
#define ESIM_TAG_IMMEDIATE_ENABLE_SMDP_OID  0x81   /* defaultSmdpOid [1] OBJECT IDENTIFIER */
#define ESIM_TAG_IMMEDIATE_ENABLE_SMDP_ADDRESS 0x82 /* defaultSmdpAddress [2] UTF8String */
/* Eco alternatives (share A8/A9 with the fallback PSMOs: they live in another list) */
#define ESIM_TAG_ECO_ADD_EIM                0xA8   /* addEim [8] EimConfigurationData (implicit) */
#define ESIM_TAG_ECO_DELETE_EIM             0xA9   /* deleteEim [9] { 80 eimId } */
#define ESIM_TAG_ECO_UPDATE_EIM             0xAA   /* updateEim [10] EimConfigurationData (implicit) */
#define ESIM_TAG_ECO_LIST_EIM               0xAB   /* listEim [11] {} */
#define ESIM_TAG_ECO_EIM_ID                 0x80   /* deleteEim.eimId [0] */
/* EuiccResultData alternatives: primitive for INTEGER results, constructed for the rest */
#define ESIM_TAG_RESULT_ENABLE              0x83   /* enableResult [3] */
#define ESIM_TAG_RESULT_DISABLE             0x84   /* disableResult [4] */
#define ESIM_TAG_RESULT_DELETE              0x85   /* deleteResult [5] */
#define ESIM_TAG_RESULT_LIST_PROFILE_INFO   0xBF2D /* listProfileInfoResult [45] ProfileInfoListResponse */
#define ESIM_TAG_RESULT_GET_RAT             0xA6   /* getRATResult [6] RulesAuthorisationTable */
#define ESIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE 0x87 /* configureImmediateEnableResult [7] */
#define ESIM_TAG_RESULT_ADD_EIM             0xA8   /* addEimResult [8] (explicit: a CHOICE) */
#define ESIM_TAG_RESULT_DELETE_EIM          0x89   /* deleteEimResult [9] */
#define ESIM_TAG_RESULT_UPDATE_EIM          0x8A   /* updateEimResult [10] */
#define ESIM_TAG_RESULT_LIST_EIM            0xAB   /* listEimResult [11] (explicit: a CHOICE) */
#define ESIM_TAG_RESULT_ROLLBACK            0x8C   /* rollbackResult [12] */
#define ESIM_TAG_RESULT_SET_FALLBACK        0x8D   /* setFallbackAttributeResult [13] */
#define ESIM_TAG_RESULT_UNSET_FALLBACK      0x8E   /* unsetFallbackAttributeResult [14] */
#define ESIM_TAG_RESULT_SET_DEFAULT_DP      0xBF65 /* setDefaultDpAddressResult [101] { 80 code } */
#define ESIM_TAG_RESULT_PROCESSING_TERMINATED 0x02 /* processingTerminated: universal INTEGER */
/* inside addEimResult (A8) and listEimResult (AB) */
#define ESIM_TAG_ADD_EIM_TOKEN              0x84   /* AddEimResult.associationToken [4] */
#define ESIM_TAG_ADD_EIM_CODE               0x02   /* AddEimResult.addEimResultCode: universal */
#define ESIM_TAG_LIST_EIM_IDS               0xA0   /* ListEimResult.eimIdList [0] */
#define ESIM_TAG_LIST_EIM_ERROR             0x81   /* ListEimResult.listEimError [1] */
#define ESIM_TAG_EIM_ID_INFO_ID             0x80   /* EimIdInfo.eimId [0] */
#define ESIM_TAG_EIM_ID_INFO_TYPE           0x82   /* EimIdInfo.eimIdType [2] */
/* ProfileRollback (BF58), ImmediateEnable (BF5A) and the other refreshFlag requests */
#define ESIM_TAG_IOT_REFRESH_FLAG           0x80   /* refreshFlag BOOLEAN: automatic [0] */
#define ESIM_TAG_ROLLBACK_CMD_RESULT        0x02   /* ProfileRollbackResponse.cmdResult: universal */
#define ESIM_TAG_ROLLBACK_PACKAGE_RESULT    0xBF51 /* …eUICCPackageResult [81] (same bytes as BF51) */

/* ---- EuiccPackage named numbers (SGP.32 v1.2 module) ---- */
/* EuiccPackageErrorCode (signed error arm) and EuiccPackageUnsignedErrorCode */
#define ESIM_EPR_ERROR_INVALID_EID          3
#define ESIM_EPR_ERROR_REPLAY               4
#define ESIM_EPR_ERROR_COUNTER_OUT_OF_RANGE 6
#define ESIM_EPR_ERROR_SIZE_OVERFLOW        15
#define ESIM_EPR_ERROR_ECALL_ACTIVE         104
#define ESIM_EPR_ERROR_UNDEFINED            127
/* results shared by most PSMOs and eCOs */
#define ESIM_PSMO_OK                        0
#define ESIM_PSMO_ICCID_NOT_FOUND           1      /* iccidOrAidNotFound */
#define ESIM_PSMO_WRONG_STATE               2      /* profileNotIn{Disabled,Enabled}State */
#define ESIM_PSMO_DISALLOWED_BY_POLICY      3
#define ESIM_PSMO_CAT_BUSY                  5
#define ESIM_PSMO_ROLLBACK_NOT_AVAILABLE    20
#define ESIM_PSMO_RETURN_FALLBACK_PROFILE   21
#define ESIM_PSMO_FALLBACK_NOT_ALLOWED      2      /* setFallbackAttribute */
#define ESIM_PSMO_NO_FALLBACK_ATTRIBUTE     2      /* unsetFallbackAttribute */
#define ESIM_PSMO_FALLBACK_PROFILE_ENABLED  3
#define ESIM_PSMO_COMMAND_ERROR             7
#define ESIM_PSMO_UNDEFINED_ERROR           127
#define ESIM_ECO_INSUFFICIENT_MEMORY        1
#define ESIM_ECO_EIM_NOT_FOUND              1      /* deleteEim, updateEim */
#define ESIM_ECO_ALREADY_EXISTS             2      /* addEim: associatedEimAlreadyExists */
#define ESIM_ECO_LAST_EIM_DELETED           2      /* deleteEim: done, no eIM left */
#define ESIM_ECO_CI_PK_UNKNOWN              3
#define ESIM_ECO_INVALID_ASSOCIATION_TOKEN  5
#define ESIM_ECO_COUNTER_OUT_OF_RANGE       6
/* processingTerminated */
#define ESIM_PROCESSING_RESULT_SIZE_OVERFLOW 1
#define ESIM_PROCESSING_UNKNOWN_OR_DAMAGED  2
#define ESIM_PROCESSING_INTERRUPTION        3
/* ProfileRollbackResponse.cmdResult */
#define ESIM_ROLLBACK_NOT_ALLOWED           1
/* ImmediateEnableResponse */
#define ESIM_IMMEDIATE_ENABLE_NOT_AVAILABLE 1
#define ESIM_IMMEDIATE_ENABLE_NO_SESSION    4
/* ConfigureImmediateProfileEnablingResponse */
#define ESIM_CONFIGURE_IMMEDIATE_EIM_EXISTS 2      /* associatedEimAlreadyExists */
/* counterValue: an eUICC handles at least up to this (SGP.32 §2.11.1.1) */
#define ESIM_EIM_COUNTER_MINIMUM_MAX        0x7FFFFF

/* ---- EimConfigurationData (SGP.32 v1.2 §2.11.1; digest §4) ---- */
#define ESIM_TAG_EIM_CONFIG_ID              0x80   /* eimId [0] UTF8String (SIZE(1..128)) */
#define ESIM_TAG_EIM_CONFIG_FQDN            0x81   /* eimFqdn [1] */
#define ESIM_TAG_EIM_CONFIG_ID_TYPE         0x82   /* eimIdType [2] */
#define ESIM_TAG_EIM_CONFIG_COUNTER         0x83   /* counterValue [3] */
#define ESIM_TAG_EIM_CONFIG_ASSOCIATION_TOKEN 0x84 /* associationToken [4] */
#define ESIM_TAG_EIM_CONFIG_PUBLIC_KEY_DATA 0xA5   /* eimPublicKeyData [5] (explicit CHOICE) */
#define ESIM_TAG_EIM_CONFIG_TRUSTED_TLS     0xA6   /* trustedPublicKeyDataTls [6] (explicit CHOICE) */
#define ESIM_TAG_EIM_CONFIG_PROTOCOLS       0x87   /* eimSupportedProtocol [7] BIT STRING */
#define ESIM_TAG_EIM_CONFIG_CI_PKID         0x88   /* euiccCiPKId [8] */
#define ESIM_TAG_EIM_CONFIG_INDIRECT_DOWNLOAD 0x89 /* indirectProfileDownload [9] NULL */
#define ESIM_TAG_EIM_CONFIG_PROPRIETARY     0xAA   /* eSipaProprietaryProtocolInformation [10] */
/* inside [5]/[6]: the alternatives replace the SEQUENCE tag (implicit) */
#define ESIM_TAG_EIM_KEY_SPKI               0xA0   /* eimPublicKey / trustedEimPkTls [0] SubjectPublicKeyInfo */
#define ESIM_TAG_EIM_KEY_CERTIFICATE        0xA1   /* eimCertificate / trustedCertificateTls [1] Certificate */

/* ---- ESipa named numbers (SGP.32 v1.2 module) ---- */
/* StateChangeCause (GetEimPackageRequest.stateChangeCause) */
#define ESIM_STATE_CHANGE_OTHER_EIM         0
#define ESIM_STATE_CHANGE_FALLBACK          1
#define ESIM_STATE_CHANGE_EMERGENCY_PROFILE 2
#define ESIM_STATE_CHANGE_LOCAL             3
#define ESIM_STATE_CHANGE_RESET             4
#define ESIM_STATE_CHANGE_IMMEDIATE_ENABLE  5
#define ESIM_STATE_CHANGE_DEVICE_CHANGE     6
#define ESIM_STATE_CHANGE_UNDEFINED         127
/* GetEimPackageResponse.eimPackageError */
#define ESIM_EIM_PACKAGE_ERROR_NO_PACKAGE   1      /* noEimPackageAvailable: not a failure */
#define ESIM_EIM_PACKAGE_ERROR_EID_NOT_FOUND 2
#define ESIM_EIM_PACKAGE_ERROR_INVALID_EID  3
#define ESIM_EIM_PACKAGE_ERROR_MISSING_EID  4
#define ESIM_ESIPA_UNDEFINED_ERROR          127    /* undefinedError, in every ESipa error INTEGER */
/* ProvideEimPackageResultResponse.provideEimPackageResultError: 2, 3, 4, 127 as above */
/* EimPackageResultErrorCode (eimPackageResultResponseError; TransferEimPackageResponse.eimPackageError) */
#define ESIM_EIM_PACKAGE_RESULT_INVALID_FORMAT 1   /* invalidPackageFormat */
#define ESIM_EIM_PACKAGE_RESULT_UNKNOWN_PACKAGE 2  /* unknownPackage */
/* IpaEuiccDataErrorCode */
#define ESIM_IPA_EUICC_DATA_INCORRECT_TAG_LIST 1
#define ESIM_IPA_EUICC_DATA_CI_PKID_NOT_FOUND 5
#define ESIM_ESIPA_ECALL_ACTIVE             104    /* ecallActive: also profileDownloadErrorReason */
/* InitiateAuthenticationResponseEsipa error */
#define ESIM_ESIPA_AUTH_INVALID_DP_ADDRESS  1
#define ESIM_ESIPA_AUTH_EUICC_VERSION_NOT_SUPPORTED 2
#define ESIM_ESIPA_AUTH_CI_PKID_NOT_SUPPORTED 3
#define ESIM_ESIPA_AUTH_SMDP_ADDRESS_MISMATCH 50
#define ESIM_ESIPA_AUTH_SMDP_OID_MISMATCH   51
#define ESIM_ESIPA_AUTH_INVALID_EIM_TRANSACTION_ID 52
/* AuthenticateClientResponseEsipa error (selection; 1..11 follow SGP.22 ES9+) */
#define ESIM_ESIPA_CLIENT_INVALID_TRANSACTION_ID 10
#define ESIM_ESIPA_CLIENT_DOWNLOAD_ORDER_EXPIRED 18
#define ESIM_ESIPA_CLIENT_PPR_NOT_ALLOWED   50
#define ESIM_ESIPA_CLIENT_EVENT_ID_UNKNOWN  56
/* GetBoundProfilePackageResponseEsipa error (selection) */
#define ESIM_ESIPA_BPP_METADATA_MISMATCH    50
#define ESIM_ESIPA_BPP_INVALID_TRANSACTION_ID 95
/* CancelSessionResponseEsipa error */
#define ESIM_ESIPA_CANCEL_INVALID_TRANSACTION_ID 1
#define ESIM_ESIPA_CANCEL_SIGNATURE_INVALID 2

/* ---- ISO 7816-4 / GlobalPlatform instructions ---- */
#define ESIM_INS_MANAGE_CHANNEL       0x70
#define ESIM_INS_SELECT               0xA4
#define ESIM_INS_GET_RESPONSE         0xC0
#define ESIM_INS_STORE_DATA           0xE2
#define ESIM_INS_TERMINAL_CAPABILITY  0xAA
#define ESIM_STORE_DATA_P1_MORE       0x11   /* more blocks follow */
#define ESIM_STORE_DATA_P1_LAST       0x91   /* last block */
#define ESIM_MANAGE_CHANNEL_P1_OPEN   0x00   /* P2 00: the card assigns the channel, Le 1 */
#define ESIM_MANAGE_CHANNEL_P1_CLOSE  0x80   /* P2: the channel */
#define ESIM_SELECT_P1_BY_DF_NAME     0x04
#define ESIM_SELECT_P2_FIRST_FCI      0x00   /* first or only occurrence, return the FCI */
/* CLA (ISO 7816-4 §5.4.1): channels 0-3 in b2b1 of the first interindustry
 * coding, 4-19 as channel - 4 in b4..b1 of the further one; b8 set is the
 * proprietary class GlobalPlatform commands use */
#define ESIM_CLA_INTERINDUSTRY        0x00
#define ESIM_CLA_FURTHER_INTERINDUSTRY 0x40
#define ESIM_CLA_PROPRIETARY          0x80
#define ESIM_SELECT_P1_BY_AID         0x04
#define ESIM_SELECT_P2_FCI            0x00   /* return FCI (first or only occurrence) */
#define ESIM_SELECT_P2_FCP            0x04
#define ESIM_SELECT_P2_NO_DATA        0x0C

/* ---- status words ---- */
#define ESIM_SW_OK                    0x9000
#define ESIM_SW1_MORE_DATA            0x61   /* 61xx: xx bytes for GET RESPONSE */
#define ESIM_SW1_MORE_DATA_SIM        0x9F   /* (U)SIM form of 61xx */
#define ESIM_SW1_WRONG_LE             0x6C   /* 6Cxx: resend with Le = xx */
#define ESIM_SW1_PROACTIVE_PENDING    0x91   /* 91xx: success, a proactive command waits */
#define ESIM_SW_MEMORY_FAILURE        0x6581
#define ESIM_SW_WRONG_LENGTH          0x6700
#define ESIM_SW_SECURE_MESSAGING_NOT_SUPPORTED 0x6882
#define ESIM_SW_CHAINING_NOT_SUPPORTED 0x6884
#define ESIM_SW_SECURITY_STATUS       0x6982
#define ESIM_SW_CONDITIONS_NOT_SATISFIED 0x6985
#define ESIM_SW_WRONG_DATA            0x6A80
#define ESIM_SW_FUNCTION_NOT_SUPPORTED 0x6A81
#define ESIM_SW_FILE_NOT_FOUND        0x6A82
#define ESIM_SW_NOT_ENOUGH_MEMORY     0x6A84
#define ESIM_SW_WRONG_P1P2            0x6A86
#define ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED 0x6881
#define ESIM_SW_INS_NOT_SUPPORTED     0x6D00
#define ESIM_SW_CLA_NOT_SUPPORTED     0x6E00
#define ESIM_SW_TECHNICAL_PROBLEM     0x6F00 /* 6Fxx: no precise diagnosis */
#define ESIM_SW_WRONG_PARAMETERS      0x6B00 /* wrong P1-P2 (6A86: incorrect P1-P2) */
#define ESIM_SW_EXECUTION_ERROR       0x6400
#define ESIM_SW_SECURITY_TECHNICAL    0x6601 /* security-related issue */

/* ---- limits ---- */
#define ESIM_STORE_DATA_MAX_SEGMENT   255    /* bytes of ES10 data per STORE DATA */
#define ESIM_STORE_DATA_MAX_BLOCKS    256    /* P2 is a one-byte block number */
#define ESIM_LOGICAL_CHANNEL_MAX      19     /* ISO 7816-4 further interindustry coding */
#define ESIM_EUICC_CHALLENGE_LENGTH   16     /* Octet16 */
#define ESIM_TRANSACTION_ID_MAX_LENGTH 16    /* TransactionId OCTET STRING (SIZE(1..16)) */
#define ESIM_SIGNATURE_LENGTH         64     /* ECDSA P-256 r‖s */
#define ESIM_EID_LENGTH               16
#define ESIM_ICCID_LENGTH             10
#define ESIM_NICKNAME_MAX_LENGTH      64
#define ESIM_EIM_ID_MAX_LENGTH        128
#define ESIM_HASH_CC_LENGTH           32     /* Octet32 */
#define ESIM_SUBJECT_KEY_ID_LENGTH    20     /* SHA-1 key identifiers (RFC 5280 §4.2.1.2 (1)), as GSMA CIs use */
#define ESIM_TAC_LENGTH               4      /* Octet4 */
#define ESIM_IMEI_LENGTH              8      /* Octet8 */
#define ESIM_BPP_MAX_SEGMENTS         4096   /* ours: 4 MiB of 1 KiB profile element segments */
#define ESIM_BPP_SEGMENT_MAC_LENGTH   8      /* the C-MAC ending every 86/87/88 (SCP03t) */
#define ESIM_RPLMN_LENGTH             3      /* rPLMN: MCC/MNC as 3GPP TS 24.008 codes them */
#define ESIM_EIM_FQDN_MAX_LENGTH      255    /* ours: a DNS name, with ":port" */
#define ESIM_ESIPA_MAX_LIST_ITEMS     1024   /* ours: acknowledgements, tags, notifications per message */

/* ISD-R application identifier (SGP.22 §2.2.3). */
#define ESIM_ISDR_AID_BYTES 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, \
                            0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00

G_END_DECLS
