using Mediator;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using TinkerServer.Api.Contracts;
using TinkerServer.Api.Wire;
using TinkerServer.Api.Wire.Training;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Application.Training.ForwardBackward;
using TinkerServer.Application.Training.OptimStep;

namespace TinkerServer.Api.Endpoints;

/// <summary>forward_backward (protobuf, optionally zstd, or JSON), forward (older SDKs) and optim_step.</summary>
public static class TrainingEndpoints
{
    public static IEndpointRouteBuilder MapTraining(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Training");
        api.MapPost("/forward_backward", ForwardBackward).WithName("ForwardBackward");
        api.MapPost("/forward", Forward).WithName("Forward");
        api.MapPost("/optim_step", OptimStep).WithName("OptimStep");
        return app;
    }

    public static Task<Ok<FutureHandleResponse>> ForwardBackward(
        HttpContext context, ForwardBackwardRequestReader reader, WireLimits limits, IMediator mediator, CancellationToken cancellationToken) =>
        Enqueue(ForwardBackwardRoute.ForwardBackward, context, reader, limits, mediator, cancellationToken);

    public static Task<Ok<FutureHandleResponse>> Forward(
        HttpContext context, ForwardBackwardRequestReader reader, WireLimits limits, IMediator mediator, CancellationToken cancellationToken) =>
        Enqueue(ForwardBackwardRoute.Forward, context, reader, limits, mediator, cancellationToken);

    public static async Task<Ok<FutureHandleResponse>> OptimStep(OptimStepRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var p = request.AdamParams;
        var defaults = new AdamParams();
        var future = await mediator.Send(
            new OptimStepCommand(
                request.ModelId ?? "",
                request.SeqId,
                new AdamParams(
                    p?.LearningRate ?? defaults.LearningRate,
                    p?.Beta1 ?? defaults.Beta1,
                    p?.Beta2 ?? defaults.Beta2,
                    p?.Eps ?? defaults.Eps,
                    p?.WeightDecay ?? defaults.WeightDecay,
                    p?.GradClipNorm ?? defaults.GradClipNorm)),
            cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }

    private static async Task<Ok<FutureHandleResponse>> Enqueue(
        ForwardBackwardRoute route,
        HttpContext context,
        ForwardBackwardRequestReader reader,
        WireLimits limits,
        IMediator mediator,
        CancellationToken cancellationToken)
    {
        // Training bodies are far larger than Kestrel's 30 MB default; the reader enforces its own bounds.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limits.MaxBodyBytes;
        }

        var wire = await reader.ReadAsync(context.Request, route, cancellationToken);
        var future = await mediator.Send(new ForwardBackwardCommand(wire.ModelId, wire.SeqId, wire.ForwardOnly, wire.Batch), cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }
}
