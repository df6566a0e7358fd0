//! The table of every sample event: SAM CLI's 26 services and 68 events, in SAM's order, then
//! the `edge` service with the four Lambda@Edge triggers. Each row names its template file
//! under `templates/<service>/<event>.json`, embedded at compile time.

use crate::params::*;
use crate::spec::{Encoding, EventSpec, enc, p};

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
        "Generates an Amazon Alexa End Session Event",
        &[
            p(
                "session-id",
                "123456789012",
                "Specify the session-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "user-id",
                "testUser",
                "Specify the user-id name you'd like, otherwise the default = testUser"
            ),
            p(
                "application-id",
                "987654321",
                "Specify the application-id name you'd like, otherwise the default = 987654321"
            ),
            p(
                "request-id",
                "1234",
                "Specify the request-id name you'd like, otherwise the default = 1234"
            ),
        ]
    ),
    event!(
        "alexa-skills-kit",
        "intent-answer",
        "Generates an Amazon Alexa Intent Answer Event",
        &[
            p(
                "session-id",
                "123456789012",
                "Specify the session-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "user-id",
                "testUser",
                "Specify the user-id name you'd like, otherwise the default = testUser"
            ),
            p(
                "application-id",
                "987654321",
                "Specify the application-id name you'd like, otherwise the default = 987654321"
            ),
            p(
                "request-id",
                "1234",
                "Specify the request-id name you'd like, otherwise the default = 1234"
            ),
        ]
    ),
    event!(
        "alexa-skills-kit",
        "intent-getnewfact",
        "Generates an Amazon Alexa Intent GetNewFact Event",
        &[
            p(
                "session-id",
                "123456789012",
                "Specify the session-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "user-id",
                "testUser",
                "Specify the user-id name you'd like, otherwise the default = testUser"
            ),
            p(
                "application-id",
                "987654321",
                "Specify the application-id name you'd like, otherwise the default = 987654321"
            ),
            p(
                "request-id",
                "1234",
                "Specify the request-id name you'd like, otherwise the default = 1234"
            ),
        ]
    ),
    event!(
        "alexa-skills-kit",
        "intent-mycoloris",
        "Generates an Amazon Alexa Intent MyColorIs Event",
        &[
            p(
                "session-id",
                "123456789012",
                "Specify the session-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "user-id",
                "testUser",
                "Specify the user-id name you'd like, otherwise the default = testUser"
            ),
            p(
                "application-id",
                "987654321",
                "Specify the application-id name you'd like, otherwise the default = 987654321"
            ),
            p(
                "request-id",
                "1234",
                "Specify the request-id name you'd like, otherwise the default = 1234"
            ),
        ]
    ),
    event!(
        "alexa-skills-kit",
        "intent-recipe",
        "Generates an Amazon Alexa Intent Recipe Event",
        &[
            p(
                "session-id",
                "123456789012",
                "Specify the session-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "user-id",
                "testUser",
                "Specify the user-id name you'd like, otherwise the default = testUser"
            ),
            p(
                "application-id",
                "987654321",
                "Specify the application-id name you'd like, otherwise the default = 987654321"
            ),
            p(
                "request-id",
                "1234",
                "Specify the request-id name you'd like, otherwise the default = 1234"
            ),
        ]
    ),
    event!(
        "alexa-skills-kit",
        "start-session",
        "Generates an Amazon Alexa Start Session Event",
        &[
            p(
                "session-id",
                "123456789012",
                "Specify the session-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "user-id",
                "testUser",
                "Specify the user-id name you'd like, otherwise the default = testUser"
            ),
            p(
                "application-id",
                "987654321",
                "Specify the application-id name you'd like, otherwise the default = 987654321"
            ),
            p(
                "request-id",
                "1234",
                "Specify the request-id name you'd like, otherwise the default = 1234"
            ),
        ]
    ),
    event!(
        "alexa-smart-home",
        "smart-home-control-turn-off-request",
        "Generates an Amazon Alexa Smart Home Control Turn Off Request Event",
        NONE
    ),
    event!(
        "alexa-smart-home",
        "smart-home-control-turn-on-request",
        "Generates an Amazon Alexa Smart Home Control Turn On Request Event",
        NONE
    ),
    event!(
        "alexa-smart-home",
        "smart-home-discovery-request",
        "Generates an Amazon Alexa Smart Home Discovery Request Event",
        NONE
    ),
    event!(
        "alb",
        "request",
        "Generates an Application Load Balancer Event",
        &[
            enc(
                "body",
                "{\"test\":\"body\"}",
                "Specify the body name you'd like, otherwise the default = {\"test\":\"body\"}",
                Encoding::Base64
            ),
            p(
                "method",
                "POST",
                "Specify the method name you'd like, otherwise the default = POST"
            ),
            p(
                "path",
                "path/to/resource",
                "Specify the path name you'd like, otherwise the default = path/to/resource"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "dns-suffix",
                "us-east-2.elb.amazonaws.com",
                "Specify the dns-suffix name you'd like, otherwise the default = us-east-2.elb.amazonaws.com"
            ),
        ]
    ),
    event!(
        "apigateway",
        "authorizer",
        "Generates an Amazon API Gateway Authorizer Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "stage",
                "prod",
                "Specify the stage name you'd like, otherwise the default = prod"
            ),
            p(
                "method",
                "POST",
                "Specify the method name you'd like, otherwise the default = POST"
            ),
            p(
                "resource",
                "{proxy+}",
                "Specify the resource name you'd like, otherwise the default = {proxy+}"
            ),
            p(
                "restApiId",
                "example",
                "Specify the restApiId name you'd like, otherwise the default = example"
            ),
        ]
    ),
    event!(
        "apigateway",
        "request-authorizer",
        "Generates an Amazon API Gateway Request Authorizer Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "stage",
                "test",
                "Specify the stage name you'd like, otherwise the default = test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
            p(
                "resource",
                "request",
                "Specify the resource name you'd like, otherwise the default = request"
            ),
            p(
                "restApiId",
                "abcdef123",
                "Specify the restApiId name you'd like, otherwise the default = abcdef123"
            ),
        ]
    ),
    event!(
        "apigateway",
        "aws-proxy",
        "Generates an Amazon API Gateway AWS Proxy Event",
        &[
            enc(
                "body",
                "{\"test\":\"body\"}",
                "Specify the body name you'd like, otherwise the default = {\"test\":\"body\"}",
                Encoding::Base64
            ),
            p(
                "stage",
                "prod",
                "Specify the stage name you'd like, otherwise the default = prod"
            ),
            p(
                "method",
                "POST",
                "Specify the method name you'd like, otherwise the default = POST"
            ),
            p(
                "resource",
                "/{proxy+}",
                "Specify the resource name you'd like, otherwise the default = /{proxy+}"
            ),
            p(
                "path",
                "path/to/resource",
                "Specify the path name you'd like, otherwise the default = path/to/resource"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "dns-suffix",
                "us-east-1.amazonaws.com",
                "Specify the dns-suffix name you'd like, otherwise the default = us-east-1.amazonaws.com"
            ),
        ]
    ),
    event!(
        "apigateway",
        "http-api-proxy",
        "Generates an Amazon API Gateway Http API Event",
        &[
            enc(
                "body",
                "{\"test\":\"body\"}",
                "Specify the body name you'd like, otherwise the default = {\"test\":\"body\"}",
                Encoding::Base64
            ),
            p(
                "stage",
                "$default",
                "Specify the stage name you'd like, otherwise the default = $default"
            ),
            p(
                "method",
                "POST",
                "Specify the method name you'd like, otherwise the default = POST"
            ),
            p(
                "path",
                "path/to/resource",
                "Specify the path name you'd like, otherwise the default = path/to/resource"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "dns-suffix",
                "us-east-1.amazonaws.com",
                "Specify the dns-suffix name you'd like, otherwise the default = us-east-1.amazonaws.com"
            ),
        ]
    ),
    event!(
        "appsync",
        "resolver",
        "Generates an AWS AppSync Event",
        NONE
    ),
    event!(
        "batch",
        "get-job",
        "Generates an AWS Batch Get Job Event",
        NONE
    ),
    event!(
        "batch",
        "submit-job",
        "Generates an AWS Batch Submit Job Event",
        NONE
    ),
    event!(
        "cloudformation",
        "create-request",
        "Generates an AWS CloudFormation Create Request Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "stack",
                "MyStack",
                "Specify the stack name you'd like, otherwise the default = MyStack"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "ab-test",
        "Generates an Amazon CloudFront A/B Test Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "access-request-in-response",
        "Generates an Amazon CloudFront Access Request in Response Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "http-redirect",
        "Generates an Amazon CloudFront HTTP Redirect Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "modify-querystring",
        "Generates an Amazon CloudFront Modify QueryString Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "modify-response-header",
        "Generates an Amazon CloudFront Modify Response Header Event",
        NONE
    ),
    event!(
        "cloudfront",
        "multiple-remote-calls-aggregate-response",
        "Generates an Amazon CloudFront Multiple Remote Calls Aggregate Response Event",
        &[
            p(
                "uri",
                "/forecast/Seattle:NewYork:Chicago:SanFrancisco",
                "Specify the uri name you'd like, otherwise the default = /forecast/Seattle:NewYork:Chicago:SanFrancisco"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "normalize-querystring-to-improve-cache-hit",
        "Generates an Amazon CloudFront Normalize Querystring Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "redirect-on-viewer-country",
        "Generates an Amazon CloudFront Redirect on Viewer Country Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "redirect-unauthenticated-users",
        "Generates an Amazon CloudFront Redirect Unauthenticated Users Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "response-generation",
        "Generates an Amazon CloudFront Response Generation Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "serve-object-on-viewer-device",
        "Generates an Amazon CloudFront Serve Object on Viewer Device Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "cloudfront",
        "simple-remote-call",
        "Generates an Amazon CloudFront Simple Remote Call Event",
        &[
            p(
                "uri",
                "/test",
                "Specify the uri name you'd like, otherwise the default = /test"
            ),
            p(
                "method",
                "GET",
                "Specify the method name you'd like, otherwise the default = GET"
            ),
        ]
    ),
    event!(
        "codecommit",
        "repository",
        "Generates an AWS CodeCommit Repository Event ",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "repository",
                "my-repo",
                "Specify the repository name you'd like, otherwise the default = my-repo"
            ),
            p(
                "trigger",
                "my-trigger",
                "Specify the trigger name you'd like, otherwise the default = my-trigger"
            ),
            p(
                "custom-data",
                "this is custom data",
                "Specify the custom-data name you'd like, otherwise the default = this is custom data"
            ),
        ]
    ),
    event!(
        "codepipeline",
        "job",
        "Generates an AWS CodePipeline Job Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "input-bucket",
                "example-bucket",
                "Specify the input-bucket name you'd like, otherwise the default = example-bucket"
            ),
            p(
                "input-key",
                "test/key",
                "Specify the input-key name you'd like, otherwise the default = test/key"
            ),
            p(
                "output-bucket",
                "example-bucket2",
                "Specify the output-bucket name you'd like, otherwise the default = example-bucket2"
            ),
            p(
                "output-key",
                "test/key2",
                "Specify the output-key name you'd like, otherwise the default = test/key2"
            ),
        ]
    ),
    event!(
        "cognito",
        "sync-trigger",
        "Generates an Amazon Cognito Sync Trigger Event",
        &[p(
            "region",
            "us-east-1",
            "Specify the region name you'd like, otherwise the default = us-east-1"
        ),]
    ),
    event!(
        "config",
        "item-change-notification",
        "Generates an AWS Config Configuration Item Change Notification Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
        ]
    ),
    event!(
        "config",
        "oversized-item-change-notification",
        "Generates an AWS Config Oversized Configuration Item Change Notification Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
        ]
    ),
    event!(
        "config",
        "periodic-rule",
        "Generates an AWS Config Periodic Rule Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
        ]
    ),
    event!(
        "connect",
        "contact-flow-event",
        "Generates an Amazon Connect Contact Flow Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "contact-id",
                "5ca32fbd-8f92-46af-92a5-6b0f970f0efe",
                "Specify the contact-id name you'd like, otherwise the default = 5ca32fbd-8f92-46af-92a5-6b0f970f0efe"
            ),
            p(
                "phone-number",
                "+11234567890",
                "Specify the phone-number name you'd like, otherwise the default = +11234567890"
            ),
        ]
    ),
    event!(
        "dynamodb",
        "update",
        "Generates an Amazon DynamoDB Update Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "table",
                "ExampleTableWithStream",
                "Specify the table name you'd like, otherwise the default = ExampleTableWithStream"
            ),
        ]
    ),
    event!(
        "cloudwatch",
        "logs",
        "Generates an Amazon Cloudwatch Logs Event",
        NONE
    ),
    event!(
        "cloudwatch",
        "scheduled-event",
        "Generates an Amazon CloudWatch Events Scheduled Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "rule",
                "ExampleRule",
                "Specify the rule name you'd like, otherwise the default = ExampleRule"
            ),
        ]
    ),
    event!(
        "kinesis",
        "get-records",
        "Generates an Amazon Kinesis Data Stream Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "sequence",
                "49545115243490985018280067714973144582180062593244200961",
                "Specify the sequence name you'd like, otherwise the default = 49545115243490985018280067714973144582180062593244200961"
            ),
            enc(
                "data",
                "Hello, this is a test 123.",
                "Specify the data name you'd like, otherwise the default = Hello, this is a test 123.",
                Encoding::Base64
            ),
            p(
                "partition-key",
                "partitionKey-03",
                "Specify the partition-key name you'd like, otherwise the default = partitionKey-03"
            ),
        ]
    ),
    event!(
        "kinesis",
        "kinesis-firehose",
        "Generates an Amazon Kinesis Data Firehose Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "data",
                "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4=",
                "Specify the data name you'd like, otherwise the default = SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="
            ),
        ]
    ),
    event!(
        "kinesis",
        "analytics",
        "Generates an Amazon Kinesis Data Analytics Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "application",
                "example-application",
                "Specify the application name you'd like, otherwise the default = example-application"
            ),
            p(
                "stream",
                "example-stream",
                "Specify the stream name you'd like, otherwise the default = example-stream"
            ),
            enc(
                "data",
                "This is a test from Kinesis Analytics",
                "Specify the data name you'd like, otherwise the default = This is a test from Kinesis Analytics",
                Encoding::Base64
            ),
        ]
    ),
    event!(
        "kinesis",
        "analytics-compressed",
        "Generates an Amazon Kinesis Data Analytics Compressed Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "application",
                "example-application",
                "Specify the application name you'd like, otherwise the default = example-application"
            ),
            p(
                "stream",
                "example-stream",
                "Specify the stream name you'd like, otherwise the default = example-stream"
            ),
            p(
                "data",
                "H4sIAAAAAAAA/6vmUspLzE1VslLKTsxNzFHS4VJKTEkpSi0uBgol5SRmKHHVAgDd1tysJAAAAA==",
                "Specify the data name you'd like, otherwise the default = H4sIAAAAAAAA/6vmUspLzE1VslLKTsxNzFHS4VJKTEkpSi0uBgol5SRmKHHVAgDd1tysJAAAAA=="
            ),
        ]
    ),
    event!(
        "kinesis",
        "analytics-dynamodb",
        "Generates an Amazon Kinesis Data Analytics DynamoDB Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "application",
                "example-application",
                "Specify the application name you'd like, otherwise the default = example-application"
            ),
            p(
                "stream",
                "example-stream",
                "Specify the stream name you'd like, otherwise the default = example-stream"
            ),
            enc(
                "data",
                "{\"ROWTIME_TIMESTAMP\":\"2017-12-15 01:09:50.000\",\"VEHICLEID\":\"5\",\"VEHICLECOUNT\":18}",
                "Specify the data name you'd like, otherwise the default = {\"ROWTIME_TIMESTAMP\":\"2017-12-15 01:09:50.000\",\"VEHICLEID\":\"5\",\"VEHICLECOUNT\":18}",
                Encoding::Base64
            ),
        ]
    ),
    event!(
        "kinesis",
        "analytics-kpl",
        "Generates an Amazon Kinesis Data Analytics KPL Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "application",
                "example-application",
                "Specify the application name you'd like, otherwise the default = example-application"
            ),
            p(
                "stream",
                "example-stream",
                "Specify the stream name you'd like, otherwise the default = example-stream"
            ),
        ]
    ),
    event!(
        "kinesis",
        "apachelog",
        "Generates an Amazon Kinesis Data Firehose Apachelog Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "data",
                "NjQuMjQyLjg4LjEwIC0gLSBbMDcvTWFyLzIwMDQ6MTY6MTA6MDIgLTA4MDBdICJHRVQgL21haWxtYW4vbGlzdGluZm8vaHNkaXZpc2lvbiBIVFRQLzEuMSIgMjAwIDYyOTE==",
                "Specify the data name you'd like, otherwise the default = NjQuMjQyLjg4LjEwIC0gLSBbMDcvTWFyLzIwMDQ6MTY6MTA6MDIgLTA4MDBdICJHRVQgL21haWxtYW4vbGlzdGluZm8vaHNkaXZpc2lvbiBIVFRQLzEuMSIgMjAwIDYyOTE=="
            ),
        ]
    ),
    event!(
        "kinesis",
        "cloudwatch-logs-processor",
        "Generates an Amazon Kinesis Data Firehose Cloudwatch Logs Processor Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
        ]
    ),
    event!(
        "kinesis",
        "streams-as-source",
        "Generates an Amazon Kinesis Data Firehose Streams as Source Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition-key",
                "partitionKey-03",
                "Specify the partition-key name you'd like, otherwise the default = partitionKey-03"
            ),
            p(
                "data",
                "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4=",
                "Specify the data name you'd like, otherwise the default = SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="
            ),
            p(
                "sequence",
                "49545115243490985018280067714973144582180062593244200961",
                "Specify the sequence name you'd like, otherwise the default = 49545115243490985018280067714973144582180062593244200961"
            ),
        ]
    ),
    event!(
        "kinesis",
        "syslog",
        "Generates an Amazon Kinesis Data Firehose Syslog Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "data",
                "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4=",
                "Specify the data name you'd like, otherwise the default = SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="
            ),
        ]
    ),
    event!(
        "lex",
        "book-car",
        "Generates an Amazon Lex Book Car Event",
        NONE
    ),
    event!(
        "lex",
        "book-hotel",
        "Generates an Amazon Lex Book Hotel Event",
        NONE
    ),
    event!(
        "lex",
        "make-appointment",
        "Generates an Amazon Lex Make Appointment Event",
        NONE
    ),
    event!(
        "lex",
        "order-flowers",
        "Generates an Amazon Lex Order Flowers Event",
        NONE
    ),
    event!(
        "lex-v2",
        "banking-bot",
        "Generates an Amazon Lex V2 Banking Bot Event",
        NONE
    ),
    event!(
        "lex-v2",
        "book-car",
        "Generates an Amazon Lex V2 Book Car Event",
        NONE
    ),
    event!(
        "lex-v2",
        "book-hotel",
        "Generates an Amazon Lex V2 Book Hotel Event",
        NONE
    ),
    event!(
        "rekognition",
        "s3-request",
        "Generates an Amazon Rekognition S3 Request Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "bucket",
                "example-bucket",
                "Specify the bucket name you'd like, otherwise the default = example-bucket"
            ),
            enc(
                "key",
                "test/key",
                "Specify the key name you'd like, otherwise the default = test/key",
                Encoding::Url
            ),
        ]
    ),
    event!(
        "s3",
        "batch-invocation",
        "Generates an Amazon S3 Batch Operations Invocation Event",
        &[
            p(
                "bucket-arn",
                "arn:aws:s3:::examplebucket",
                "Specify the bucket-arn name you'd like, otherwise the default = arn:aws:s3:::examplebucket"
            ),
            enc(
                "key",
                "test/key",
                "Specify the key name you'd like, otherwise the default = test/key",
                Encoding::Url
            ),
        ]
    ),
    event!(
        "s3",
        "delete",
        "Generates an Amazon S3 Delete Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "bucket",
                "example-bucket",
                "Specify the bucket name you'd like, otherwise the default = example-bucket"
            ),
            enc(
                "key",
                "test/key",
                "Specify the key name you'd like, otherwise the default = test/key",
                Encoding::Url
            ),
        ]
    ),
    event!(
        "s3",
        "put",
        "Generates an Amazon S3 Put Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "bucket",
                "example-bucket",
                "Specify the bucket name you'd like, otherwise the default = example-bucket"
            ),
            enc(
                "key",
                "test/key",
                "Specify the key name you'd like, otherwise the default = test/key",
                Encoding::Url
            ),
        ]
    ),
    event!(
        "sagemaker",
        "ground-truth-pre-human",
        "Generates a SageMaker Ground Truth PreHumanTask request",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "source-ref",
                "s3://sagemakerexample/object_to_annotate.jpg",
                "Specify the source-ref name you'd like, otherwise the default = s3://sagemakerexample/object_to_annotate.jpg"
            ),
            p(
                "labeling-job-name",
                "example-job",
                "Specify the labeling-job-name name you'd like, otherwise the default = example-job"
            ),
        ]
    ),
    event!(
        "sagemaker",
        "ground-truth-annotation-consolidation",
        "Generates a SageMaker Ground Truth AnnotationConsolidation request",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "labeling-job-name",
                "example-job",
                "Specify the labeling-job-name name you'd like, otherwise the default = example-job"
            ),
            p(
                "label-attribute-name",
                "example-attribute",
                "Specify the label-attribute-name name you'd like, otherwise the default = example-attribute"
            ),
            p(
                "s3-output-path",
                "s3://sagemakerexample/output",
                "Specify the s3-output-path name you'd like, otherwise the default = s3://sagemakerexample/output"
            ),
            p(
                "execution-role",
                "sagemaker-role",
                "Specify the execution-role name you'd like, otherwise the default = sagemaker-role"
            ),
            p(
                "iteration-object-timestamp",
                "iteration-1/0/2019-09-06_18:35:03",
                "Specify the iteration-object-timestamp name you'd like, otherwise the default = iteration-1/0/2019-09-06_18:35:03"
            ),
        ]
    ),
    event!(
        "ses",
        "email-receiving",
        "Generates an Amazon SES Email Receiving Event",
        &[
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "dns-suffix",
                "us-east-1.amazonaws.com",
                "Specify the dns-suffix name you'd like, otherwise the default = us-east-1.amazonaws.com"
            ),
        ]
    ),
    event!(
        "sns",
        "notification",
        "Generates an Amazon SNS Topic Notification Event",
        &[
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "topic",
                "ExampleTopic",
                "Specify the topic name you'd like, otherwise the default = ExampleTopic"
            ),
            p(
                "subject",
                "example subject",
                "Specify the subject name you'd like, otherwise the default = example subject"
            ),
            p(
                "message",
                "example message",
                "Specify the message name you'd like, otherwise the default = example message"
            ),
        ]
    ),
    event!(
        "sqs",
        "receive-message",
        "Generates an Amazon SQS Event",
        &[
            p(
                "partition",
                "aws",
                "Specify the partition name you'd like, otherwise the default = aws"
            ),
            p(
                "region",
                "us-east-1",
                "Specify the region name you'd like, otherwise the default = us-east-1"
            ),
            p(
                "account-id",
                "123456789012",
                "Specify the account-id name you'd like, otherwise the default = 123456789012"
            ),
            p(
                "queue-name",
                "MyQueue",
                "Specify the queue-name name you'd like, otherwise the default = MyQueue"
            ),
            p(
                "body",
                "Hello from SQS!",
                "Specify the body name you'd like, otherwise the default = Hello from SQS!"
            ),
        ]
    ),
    event!(
        "stepfunctions",
        "error",
        "Generates an AWS StepFunctions Error Event",
        &[
            p(
                "error",
                "ErrorName",
                "Specify the error name you'd like, otherwise the default = ErrorName"
            ),
            p(
                "cause",
                "This is the cause of the error.",
                "Specify the cause name you'd like, otherwise the default = This is the cause of the error."
            ),
        ]
    ),
    event!(
        "workmail",
        "email",
        "Generates an Amazon Work Mail Event",
        &[
            p(
                "flow-direction",
                "INBOUND",
                "Specify the flow-direction name you'd like, otherwise the default = INBOUND"
            ),
            p(
                "mail-from",
                "from@example.com",
                "Specify the mail-from name you'd like, otherwise the default = from@example.com"
            ),
            p(
                "sender",
                "sender@example.com",
                "Specify the sender name you'd like, otherwise the default = sender@example.com"
            ),
        ]
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
