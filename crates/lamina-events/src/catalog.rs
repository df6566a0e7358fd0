//! The table of every sample event: SAM CLI's 26 services and 68 events, in SAM's order, then
//! the `edge` service with the four Lambda@Edge triggers. Each row names its template file
//! under `templates/<service>/<event>.json`, embedded at compile time.

use crate::params::*;
use crate::spec::EventSpec;

/// One catalog row; the template path is derived from the service and event names so a row
/// cannot point at the wrong file.
macro_rules! event {
    ($service:literal, $name:literal, $description:literal, $params:expr) => {
        EventSpec {
            service: $service,
            name: $name,
            description: $description,
            params: $params,
            template: include_str!(concat!("../templates/", $service, "/", $name, ".json")),
        }
    };
}

/// The service that holds the four Lambda@Edge triggers. SAM has no such service; its
/// `cloudfront` events are blueprints for particular functions, while these are one event per
/// trigger, as CloudFront sends them.
pub const EDGE_SERVICE: &str = "edge";

/// Every event, in a stable order: SAM's services and events in the order of its mapping
/// file, then `edge`.
pub(crate) static CATALOG: &[EventSpec] = &[
    event!(
        "alexa-skills-kit",
        "end-session",
        "Alexa Skills Kit SessionEndedRequest",
        ALEXA_SKILL
    ),
    event!(
        "alexa-skills-kit",
        "intent-answer",
        "Alexa Skills Kit IntentRequest for an AnswerIntent (quiz skill)",
        ALEXA_SKILL
    ),
    event!(
        "alexa-skills-kit",
        "intent-getnewfact",
        "Alexa Skills Kit IntentRequest for GetNewFactIntent",
        ALEXA_SKILL
    ),
    event!(
        "alexa-skills-kit",
        "intent-mycoloris",
        "Alexa Skills Kit IntentRequest for MyColorIsIntent",
        ALEXA_SKILL
    ),
    event!(
        "alexa-skills-kit",
        "intent-recipe",
        "Alexa Skills Kit IntentRequest for RecipeIntent",
        ALEXA_SKILL
    ),
    event!(
        "alexa-skills-kit",
        "start-session",
        "Alexa Skills Kit LaunchRequest starting a session",
        ALEXA_SKILL
    ),
    event!(
        "alexa-smart-home",
        "smart-home-control-turn-off-request",
        "Alexa Smart Home (v2) TurnOffRequest",
        NONE
    ),
    event!(
        "alexa-smart-home",
        "smart-home-control-turn-on-request",
        "Alexa Smart Home (v2) TurnOnRequest",
        NONE
    ),
    event!(
        "alexa-smart-home",
        "smart-home-discovery-request",
        "Alexa Smart Home (v2) DiscoverAppliancesRequest",
        NONE
    ),
    event!(
        "alb",
        "request",
        "Application Load Balancer request to a Lambda target group",
        ALB
    ),
    event!(
        "apigateway",
        "authorizer",
        "API Gateway REST API TOKEN authorizer request",
        APIGW_TOKEN_AUTHORIZER
    ),
    event!(
        "apigateway",
        "request-authorizer",
        "API Gateway REST API REQUEST authorizer request",
        APIGW_REQUEST_AUTHORIZER
    ),
    event!(
        "apigateway",
        "aws-proxy",
        "API Gateway REST API Lambda proxy request (payload 1.0)",
        APIGW_PROXY
    ),
    event!(
        "apigateway",
        "http-api-proxy",
        "API Gateway HTTP API Lambda proxy request (payload 2.0)",
        APIGW_HTTP
    ),
    event!(
        "appsync",
        "resolver",
        "AWS AppSync direct Lambda resolver invocation",
        NONE
    ),
    event!(
        "batch",
        "get-job",
        "Input for a function that looks up an AWS Batch job by id",
        NONE
    ),
    event!(
        "batch",
        "submit-job",
        "Input for a function that submits an AWS Batch job",
        NONE
    ),
    event!(
        "cloudformation",
        "create-request",
        "CloudFormation custom resource Create request",
        CFN
    ),
    event!(
        "cloudfront",
        "ab-test",
        "CloudFront viewer request for an A/B test by cookie",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "access-request-in-response",
        "CloudFront viewer response that reads a request header",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "http-redirect",
        "CloudFront viewer request to answer with a redirect",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "modify-querystring",
        "CloudFront viewer request whose query string is rewritten",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "modify-response-header",
        "CloudFront origin response whose headers are rewritten",
        NONE
    ),
    event!(
        "cloudfront",
        "multiple-remote-calls-aggregate-response",
        "CloudFront viewer request answered by aggregating remote calls",
        CLOUDFRONT_FORECAST
    ),
    event!(
        "cloudfront",
        "normalize-querystring-to-improve-cache-hit",
        "CloudFront viewer request whose query string is normalized",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "redirect-on-viewer-country",
        "CloudFront origin request redirected by viewer country",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "redirect-unauthenticated-users",
        "CloudFront viewer request from a user without credentials",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "response-generation",
        "CloudFront viewer request answered by a generated response",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "serve-object-on-viewer-device",
        "CloudFront origin request routed by viewer device type",
        CLOUDFRONT
    ),
    event!(
        "cloudfront",
        "simple-remote-call",
        "CloudFront viewer request that makes a remote call",
        CLOUDFRONT
    ),
    event!(
        "codecommit",
        "repository",
        "CodeCommit repository trigger",
        CODECOMMIT
    ),
    event!(
        "codepipeline",
        "job",
        "CodePipeline job for a Lambda invoke action",
        CODEPIPELINE
    ),
    event!(
        "cognito",
        "sync-trigger",
        "Amazon Cognito Sync trigger",
        COGNITO
    ),
    event!(
        "config",
        "item-change-notification",
        "AWS Config rule evaluation for a configuration item change",
        REGION_PARTITION_ACCOUNT
    ),
    event!(
        "config",
        "oversized-item-change-notification",
        "AWS Config rule evaluation for an oversized configuration item change",
        REGION_PARTITION_ACCOUNT
    ),
    event!(
        "config",
        "periodic-rule",
        "AWS Config periodic rule evaluation",
        REGION_PARTITION_ACCOUNT
    ),
    event!(
        "connect",
        "contact-flow-event",
        "Amazon Connect contact flow invocation",
        CONNECT
    ),
    event!(
        "dynamodb",
        "update",
        "DynamoDB stream records: INSERT, MODIFY and REMOVE",
        DYNAMODB
    ),
    event!(
        "cloudwatch",
        "logs",
        "CloudWatch Logs subscription (gzipped, base64 log data)",
        NONE
    ),
    event!(
        "cloudwatch",
        "scheduled-event",
        "EventBridge (CloudWatch Events) scheduled event",
        SCHEDULED
    ),
    event!(
        "kinesis",
        "get-records",
        "Kinesis Data Streams records",
        KINESIS_GET_RECORDS
    ),
    event!(
        "kinesis",
        "kinesis-firehose",
        "Kinesis Data Firehose transformation records",
        KINESIS_FIREHOSE
    ),
    event!(
        "kinesis",
        "analytics",
        "Kinesis Data Analytics preprocessing records",
        KINESIS_ANALYTICS
    ),
    event!(
        "kinesis",
        "analytics-compressed",
        "Kinesis Data Analytics preprocessing records with gzipped data",
        KINESIS_ANALYTICS_COMPRESSED
    ),
    event!(
        "kinesis",
        "analytics-dynamodb",
        "Kinesis Data Analytics preprocessing records carrying JSON rows",
        KINESIS_ANALYTICS_DYNAMODB
    ),
    event!(
        "kinesis",
        "analytics-kpl",
        "Kinesis Data Analytics preprocessing records with KPL-aggregated data",
        KINESIS_ANALYTICS_KPL
    ),
    event!(
        "kinesis",
        "apachelog",
        "Kinesis Data Firehose records carrying an Apache access log line",
        KINESIS_APACHELOG
    ),
    event!(
        "kinesis",
        "cloudwatch-logs-processor",
        "Kinesis Data Firehose records from a CloudWatch Logs subscription",
        REGION_PARTITION_ACCOUNT
    ),
    event!(
        "kinesis",
        "streams-as-source",
        "Kinesis Data Firehose records read from a Kinesis data stream",
        KINESIS_STREAMS_AS_SOURCE
    ),
    event!(
        "kinesis",
        "syslog",
        "Kinesis Data Firehose records carrying syslog lines",
        KINESIS_SYSLOG
    ),
    event!(
        "lex",
        "book-car",
        "Amazon Lex (V1) dialog code hook for BookCar",
        NONE
    ),
    event!(
        "lex",
        "book-hotel",
        "Amazon Lex (V1) dialog code hook for BookHotel",
        NONE
    ),
    event!(
        "lex",
        "make-appointment",
        "Amazon Lex (V1) dialog code hook for MakeAppointment",
        NONE
    ),
    event!(
        "lex",
        "order-flowers",
        "Amazon Lex (V1) dialog code hook for OrderFlowers",
        NONE
    ),
    event!(
        "lex-v2",
        "banking-bot",
        "Amazon Lex V2 fulfillment code hook for a banking bot",
        NONE
    ),
    event!(
        "lex-v2",
        "book-car",
        "Amazon Lex V2 dialog code hook for BookCar",
        NONE
    ),
    event!(
        "lex-v2",
        "book-hotel",
        "Amazon Lex V2 dialog code hook for BookHotel",
        NONE
    ),
    event!(
        "rekognition",
        "s3-request",
        "S3 object-created notification for an image to analyze",
        S3_OBJECT
    ),
    event!(
        "s3",
        "batch-invocation",
        "S3 Batch Operations invocation (schema 1.0)",
        S3_BATCH
    ),
    event!(
        "s3",
        "delete",
        "S3 object-removed (Delete) notification",
        S3_OBJECT
    ),
    event!(
        "s3",
        "put",
        "S3 object-created (Put) notification",
        S3_OBJECT
    ),
    event!(
        "sagemaker",
        "ground-truth-pre-human",
        "SageMaker Ground Truth pre-annotation (pre-human task) request",
        SAGEMAKER_PRE_HUMAN
    ),
    event!(
        "sagemaker",
        "ground-truth-annotation-consolidation",
        "SageMaker Ground Truth annotation consolidation request",
        SAGEMAKER_CONSOLIDATION
    ),
    event!(
        "ses",
        "email-receiving",
        "Amazon SES receipt rule Lambda action",
        SES
    ),
    event!("sns", "notification", "Amazon SNS topic notification", SNS),
    event!("sqs", "receive-message", "Amazon SQS messages", SQS),
    event!(
        "stepfunctions",
        "error",
        "Step Functions task error (Error and Cause)",
        STEPFUNCTIONS_ERROR
    ),
    event!(
        "workmail",
        "email",
        "Amazon WorkMail email flow rule invocation",
        WORKMAIL
    ),
    event!(
        "edge",
        "viewer-request",
        "Lambda@Edge viewer-request trigger",
        EDGE_VIEWER_REQUEST
    ),
    event!(
        "edge",
        "origin-request",
        "Lambda@Edge origin-request trigger (custom origin)",
        EDGE_ORIGIN_REQUEST
    ),
    event!(
        "edge",
        "origin-response",
        "Lambda@Edge origin-response trigger",
        EDGE_RESPONSE
    ),
    event!(
        "edge",
        "viewer-response",
        "Lambda@Edge viewer-response trigger",
        EDGE_RESPONSE
    ),
];
