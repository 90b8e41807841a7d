using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.Weights.LoadWeights;
using TinkerServer.Application.Weights.SaveWeights;
using TinkerServer.Application.Weights.SaveWeightsForSampler;
using TinkerServer.Domain.Common;

namespace TinkerServer.Api.Endpoints;

public static class WeightsEndpoints
{
    public static IEndpointRouteBuilder MapWeights(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Weights");
        api.MapPost("/save_weights", SaveWeights).WithName("SaveWeights");
        api.MapPost("/save_weights_for_sampler", SaveWeightsForSampler).WithName("SaveWeightsForSampler");
        api.MapPost("/load_weights", LoadWeights).WithName("LoadWeights");
        return app;
    }

    public static async Task<Ok<FutureHandleResponse>> SaveWeights(SaveWeightsRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var future = await mediator.Send(
            new SaveWeightsCommand(request.ModelId ?? "", request.SeqId, request.Path, request.TtlSeconds, request.Overwrite ?? false),
            cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }

    public static async Task<Ok<FutureHandleResponse>> SaveWeightsForSampler(
        SaveWeightsForSamplerRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var future = await mediator.Send(
            new SaveWeightsForSamplerCommand(request.ModelId ?? "", request.SeqId, request.Path, request.SamplingSessionSeqId, request.TtlSeconds),
            cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }

    public static async Task<Ok<FutureHandleResponse>> LoadWeights(LoadWeightsRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        if (request.SessionId is not null || request.ModelSeqId is not null)
        {
            // The client config does not offer create_model_via_load_weights, so only legacy addressing is valid.
            throw new DomainRuleViolationException(
                "load_weights addressed by session_id/model_seq_id is not supported here; create the model, then load into its model_id.");
        }

        var future = await mediator.Send(
            new LoadWeightsCommand(request.ModelId ?? "", request.SeqId, request.Path ?? "", request.Optimizer ?? false),
            cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }
}
