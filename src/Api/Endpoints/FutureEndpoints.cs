using Mediator;
using TinkerServer.Api.Contracts;
using TinkerServer.Api.Wire;
using TinkerServer.Api.Wire.Sampling;
using TinkerServer.Api.Wire.Training;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Futures;
using TinkerServer.Application.Futures.RetrieveFuture;
using TinkerServer.Domain.Futures;

namespace TinkerServer.Api.Endpoints;

/// <summary>
/// retrieve_future: held up to the long-poll timeout, then 408 try_again; a failure is 200 {error, category};
/// sample and forward/forward_backward results are protobuf when the request accepts it, JSON otherwise.
/// </summary>
public static class FutureEndpoints
{
    public static IEndpointRouteBuilder MapFutures(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1").WithTags("Futures").MapPost("/retrieve_future", RetrieveFuture).WithName("RetrieveFuture");
        return app;
    }

    public static async Task<IResult> RetrieveFuture(
        RetrieveFutureRequest request, HttpContext context, IMediator mediator, CancellationToken cancellationToken)
    {
        var outcome = await mediator.Send(new RetrieveFutureQuery(request.RequestId ?? ""), cancellationToken);
        return outcome switch
        {
            FuturePending pending => TypedResults.Json(new TryAgainResponse(pending.RequestId), ApiJson.Options, statusCode: StatusCodes.Status408RequestTimeout),
            FutureFailed failed => TypedResults.Json(new FutureFailedResponse(failed.Error, failed.Category), ApiJson.Options),
            FutureCompleted done => Completed(done, WireContentTypes.AcceptsProtobuf(context.Request.Headers.Accept.ToString())),
            _ => throw new InvalidOperationException($"Unknown future outcome {outcome.GetType().Name}."),
        };
    }

    private static IResult Completed(FutureCompleted done, bool protobuf)
    {
        switch (done.Kind)
        {
            case RequestKind.ForwardBackward or RequestKind.Forward:
                var output = FutureJson.Deserialize<ForwardBackwardOutput>(done.ResultJson);
                return protobuf
                    ? TypedResults.Bytes(ForwardBackwardOutputWire.ToProtobuf(output), WireContentTypes.Protobuf)
                    : TypedResults.Json(ForwardBackwardOutputWire.ToJson(output), ApiJson.Options);
            case RequestKind.Sample:
                var sample = FutureJson.Deserialize<SampleOutput>(done.ResultJson);
                return protobuf
                    ? TypedResults.Bytes(SampleOutputWire.ToProtobuf(sample), WireContentTypes.Protobuf)
                    : TypedResults.Json(SampleOutputWire.ToJson(sample), ApiJson.Options);
            default:
                // The small results are stored in their wire shape already.
                return TypedResults.Content(done.ResultJson, WireContentTypes.Json);
        }
    }
}
