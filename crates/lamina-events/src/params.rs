//! Option definitions shared by many events (region, partition, account id, …), with SAM's
//! names and defaults, so the catalog table stays one line per event.

use crate::spec::{Encoding, ParamSpec, enc, p};

pub(crate) const REGION: ParamSpec = p("region", "us-east-1", "AWS Region the event comes from");
pub(crate) const PARTITION: ParamSpec = p(
    "partition",
    "aws",
    "AWS partition used in ARNs (aws, aws-cn, aws-us-gov)",
);
pub(crate) const ACCOUNT_ID: ParamSpec = p("account-id", "123456789012", "AWS account id");

pub(crate) const ALEXA_SKILL: &[ParamSpec] = &[
    p("session-id", "123456789012", "Alexa session id suffix"),
    p("user-id", "testUser", "Alexa user id suffix"),
    p(
        "application-id",
        "987654321",
        "Alexa skill (application) id suffix",
    ),
    p("request-id", "1234", "Alexa request id suffix"),
];

pub(crate) const NONE: &[ParamSpec] = &[];

pub(crate) const REGION_PARTITION_ACCOUNT: &[ParamSpec] = &[REGION, PARTITION, ACCOUNT_ID];

const BODY_HELP: &str = "request body, base64-encoded into the event";
pub(crate) const ALB: &[ParamSpec] = &[
    enc("body", "{\"test\":\"body\"}", BODY_HELP, Encoding::Base64),
    p("method", "POST", "HTTP method"),
    p(
        "path",
        "path/to/resource",
        "request path, without the leading slash",
    ),
    ACCOUNT_ID,
    p(
        "dns-suffix",
        "us-east-2.elb.amazonaws.com",
        "DNS suffix of the load balancer's host name",
    ),
];

pub(crate) const APIGW_TOKEN_AUTHORIZER: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p("stage", "prod", "API stage"),
    p("method", "POST", "HTTP method in the method ARN"),
    p("resource", "{proxy+}", "resource path in the method ARN"),
    p("restApiId", "example", "REST API id"),
];

pub(crate) const APIGW_REQUEST_AUTHORIZER: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p("stage", "test", "API stage"),
    p("method", "GET", "HTTP method"),
    p(
        "resource",
        "request",
        "resource path, without the leading slash",
    ),
    p("restApiId", "abcdef123", "REST API id"),
];

pub(crate) const APIGW_PROXY: &[ParamSpec] = &[
    enc("body", "{\"test\":\"body\"}", BODY_HELP, Encoding::Base64),
    p("stage", "prod", "API stage"),
    p("method", "POST", "HTTP method"),
    p("resource", "/{proxy+}", "resource template"),
    p(
        "path",
        "path/to/resource",
        "request path, without the leading slash",
    ),
    enc(
        "querystringparameters",
        "{\"foo\": \"bar\"}",
        "query string parameters as a JSON object",
        Encoding::Json,
    ),
    ACCOUNT_ID,
    p(
        "dns-suffix",
        "us-east-1.amazonaws.com",
        "DNS suffix of the API's host name",
    ),
];

pub(crate) const APIGW_HTTP: &[ParamSpec] = &[
    enc("body", "{\"test\":\"body\"}", BODY_HELP, Encoding::Base64),
    p("stage", "$default", "API stage"),
    p("method", "POST", "HTTP method"),
    p(
        "path",
        "path/to/resource",
        "request path, without the leading slash",
    ),
    ACCOUNT_ID,
    p(
        "dns-suffix",
        "us-east-1.amazonaws.com",
        "DNS suffix of the API's host name",
    ),
];

pub(crate) const CFN: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p("stack", "MyStack", "stack name"),
];

pub(crate) const CLOUDFRONT: &[ParamSpec] = &[
    p("uri", "/test", "request URI"),
    p("method", "GET", "HTTP method"),
];

pub(crate) const CLOUDFRONT_FORECAST: &[ParamSpec] = &[
    p(
        "uri",
        "/forecast/Seattle:NewYork:Chicago:SanFrancisco",
        "request URI",
    ),
    p("method", "GET", "HTTP method"),
];

pub(crate) const CODECOMMIT: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p("repository", "my-repo", "repository name"),
    p("trigger", "my-trigger", "trigger name"),
    p(
        "custom-data",
        "this is custom data",
        "custom data configured on the trigger",
    ),
];

pub(crate) const CODEPIPELINE: &[ParamSpec] = &[
    ACCOUNT_ID,
    p(
        "input-bucket",
        "example-bucket",
        "bucket of the input artifact",
    ),
    p("input-key", "test/key", "object key of the input artifact"),
    p(
        "output-bucket",
        "example-bucket2",
        "bucket of the output artifact",
    ),
    p(
        "output-key",
        "test/key2",
        "object key of the output artifact",
    ),
];

pub(crate) const COGNITO: &[ParamSpec] = &[REGION];

pub(crate) const CONNECT: &[ParamSpec] = &[
    REGION,
    PARTITION,
    ACCOUNT_ID,
    p(
        "contact-id",
        "5ca32fbd-8f92-46af-92a5-6b0f970f0efe",
        "contact id",
    ),
    p(
        "phone-number",
        "+11234567890",
        "customer and system phone number",
    ),
];

pub(crate) const DYNAMODB: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p("table", "ExampleTableWithStream", "table name"),
];

pub(crate) const SCHEDULED: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p(
        "rule",
        "ExampleRule",
        "EventBridge (CloudWatch Events) rule name",
    ),
];

const SEQUENCE: ParamSpec = p(
    "sequence",
    "49545115243490985018280067714973144582180062593244200961",
    "record sequence number",
);
const PARTITION_KEY: ParamSpec = p("partition-key", "partitionKey-03", "record partition key");
/// Firehose record data is given already base64-encoded, as SAM expects.
const FIREHOSE_DATA: ParamSpec = p(
    "data",
    "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4=",
    "record data, already base64-encoded",
);

pub(crate) const KINESIS_GET_RECORDS: &[ParamSpec] = &[
    REGION,
    PARTITION,
    SEQUENCE,
    enc(
        "data",
        "Hello, this is a test 123.",
        "record data, base64-encoded into the event",
        Encoding::Base64,
    ),
    PARTITION_KEY,
];

pub(crate) const KINESIS_FIREHOSE: &[ParamSpec] = &[PARTITION, REGION, FIREHOSE_DATA];

const APPLICATION: ParamSpec = p(
    "application",
    "example-application",
    "analytics application name",
);
const STREAM: ParamSpec = p("stream", "example-stream", "source stream name");

pub(crate) const KINESIS_ANALYTICS: &[ParamSpec] = &[
    PARTITION,
    REGION,
    ACCOUNT_ID,
    APPLICATION,
    STREAM,
    enc(
        "data",
        "This is a test from Kinesis Analytics",
        "record data, base64-encoded into the event",
        Encoding::Base64,
    ),
];

pub(crate) const KINESIS_ANALYTICS_COMPRESSED: &[ParamSpec] = &[
    PARTITION,
    REGION,
    ACCOUNT_ID,
    APPLICATION,
    STREAM,
    p(
        "data",
        "H4sIAAAAAAAA/6vmUspLzE1VslLKTsxNzFHS4VJKTEkpSi0uBgol5SRmKHHVAgDd1tysJAAAAA==",
        "record data, already gzipped and base64-encoded",
    ),
];

pub(crate) const KINESIS_ANALYTICS_DYNAMODB: &[ParamSpec] = &[
    PARTITION,
    REGION,
    ACCOUNT_ID,
    APPLICATION,
    STREAM,
    enc(
        "data",
        "{\"ROWTIME_TIMESTAMP\":\"2017-12-15 01:09:50.000\",\"VEHICLEID\":\"5\",\"VEHICLECOUNT\":18}",
        "record data, base64-encoded into the event",
        Encoding::Base64,
    ),
];

pub(crate) const KINESIS_ANALYTICS_KPL: &[ParamSpec] =
    &[PARTITION, REGION, ACCOUNT_ID, APPLICATION, STREAM];

/// SAM's own default carries an extra `=` of padding and is not valid base64; this is the
/// same Apache log line, correctly padded, so that Firehose clients can decode it.
pub(crate) const KINESIS_APACHELOG: &[ParamSpec] = &[
    REGION,
    p(
        "data",
        "NjQuMjQyLjg4LjEwIC0gLSBbMDcvTWFyLzIwMDQ6MTY6MTA6MDIgLTA4MDBdICJHRVQgL21haWxtYW4vbGlzdGluZm8vaHNkaXZpc2lvbiBIVFRQLzEuMSIgMjAwIDYyOTE=",
        "record data, already base64-encoded",
    ),
];

pub(crate) const KINESIS_STREAMS_AS_SOURCE: &[ParamSpec] =
    &[PARTITION, REGION, PARTITION_KEY, FIREHOSE_DATA, SEQUENCE];

pub(crate) const KINESIS_SYSLOG: &[ParamSpec] = &[REGION, FIREHOSE_DATA];

const BUCKET: ParamSpec = p("bucket", "example-bucket", "bucket name");
const KEY: ParamSpec = enc(
    "key",
    "test/key",
    "object key, URL-encoded into the event",
    Encoding::Url,
);

pub(crate) const S3_OBJECT: &[ParamSpec] = &[REGION, PARTITION, BUCKET, KEY];

pub(crate) const S3_BATCH: &[ParamSpec] = &[
    p("bucket-arn", "arn:aws:s3:::examplebucket", "bucket ARN"),
    KEY,
];

const LABELING_JOB: ParamSpec = p("labeling-job-name", "example-job", "labeling job name");

pub(crate) const SAGEMAKER_PRE_HUMAN: &[ParamSpec] = &[
    REGION,
    PARTITION,
    ACCOUNT_ID,
    p(
        "source-ref",
        "s3://sagemakerexample/object_to_annotate.jpg",
        "S3 URI of the object to label",
    ),
    LABELING_JOB,
];

pub(crate) const SAGEMAKER_CONSOLIDATION: &[ParamSpec] = &[
    REGION,
    PARTITION,
    ACCOUNT_ID,
    LABELING_JOB,
    p(
        "label-attribute-name",
        "example-attribute",
        "label attribute name",
    ),
    p(
        "s3-output-path",
        "s3://sagemakerexample/output",
        "S3 output path of the job",
    ),
    p("execution-role", "sagemaker-role", "execution role name"),
    p(
        "iteration-object-timestamp",
        "iteration-1/0/2019-09-06_18:35:03",
        "iteration and object timestamp of the worker responses",
    ),
];

pub(crate) const SES: &[ParamSpec] = &[
    REGION,
    PARTITION,
    ACCOUNT_ID,
    p(
        "dns-suffix",
        "us-east-1.amazonaws.com",
        "DNS suffix of the inbound SMTP endpoint",
    ),
];

pub(crate) const SNS: &[ParamSpec] = &[
    ACCOUNT_ID,
    PARTITION,
    REGION,
    p("topic", "ExampleTopic", "topic name"),
    p("subject", "example subject", "message subject"),
    p("message", "example message", "message body"),
];

pub(crate) const SQS: &[ParamSpec] = &[
    PARTITION,
    REGION,
    ACCOUNT_ID,
    p("queue-name", "MyQueue", "queue name"),
    p(
        "body",
        "Hello from SQS!",
        "message body; md5OfBody is computed from it",
    ),
];

pub(crate) const STEPFUNCTIONS_ERROR: &[ParamSpec] = &[
    p("error", "ErrorName", "error name"),
    p("cause", "This is the cause of the error.", "error cause"),
];

pub(crate) const WORKMAIL: &[ParamSpec] = &[
    p("flow-direction", "INBOUND", "INBOUND or OUTBOUND"),
    p(
        "mail-from",
        "from@example.com",
        "envelope MAIL FROM address",
    ),
    p("sender", "sender@example.com", "sender address"),
];

// Lambda@Edge: not in SAM; option names follow the fields they fill.
const EDGE_URI: ParamSpec = p("uri", "/index.html", "request URI (must start with /)");
const EDGE_METHOD: ParamSpec = p("method", "GET", "HTTP method");
const EDGE_QUERYSTRING: ParamSpec = p(
    "querystring",
    "",
    "query string without the leading ?, empty if none",
);
const EDGE_CLIENT_IP: ParamSpec = p("client-ip", "203.0.113.178", "viewer IP address");
const EDGE_DOMAIN: ParamSpec = p(
    "distribution-domain",
    "d111111abcdef8.cloudfront.net",
    "distribution domain name (also the Host header)",
);
const EDGE_ID: ParamSpec = p("distribution-id", "EDFDVBD6EXAMPLE", "distribution id");
const EDGE_STATUS: ParamSpec = p("status", "200", "HTTP status of the response");
const EDGE_STATUS_DESCRIPTION: ParamSpec = p(
    "status-description",
    "OK",
    "HTTP status description of the response",
);

pub(crate) const EDGE_VIEWER_REQUEST: &[ParamSpec] = &[
    EDGE_URI,
    EDGE_METHOD,
    EDGE_QUERYSTRING,
    EDGE_CLIENT_IP,
    EDGE_DOMAIN,
    EDGE_ID,
];

pub(crate) const EDGE_ORIGIN_REQUEST: &[ParamSpec] = &[
    EDGE_URI,
    EDGE_METHOD,
    EDGE_QUERYSTRING,
    EDGE_CLIENT_IP,
    EDGE_DOMAIN,
    EDGE_ID,
    p(
        "origin-domain",
        "example.org",
        "domain name of the custom origin",
    ),
];

pub(crate) const EDGE_RESPONSE: &[ParamSpec] = &[
    EDGE_URI,
    EDGE_METHOD,
    EDGE_QUERYSTRING,
    EDGE_CLIENT_IP,
    EDGE_DOMAIN,
    EDGE_ID,
    EDGE_STATUS,
    EDGE_STATUS_DESCRIPTION,
];
