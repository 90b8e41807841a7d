using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using TinkerServer.Api.Contracts;
using TinkerServer.Api.Wire;
using TinkerServer.Application.Sampling.CreateSamplingSession;
using TinkerServer.Application.Sampling.GetSampler;
using TinkerServer.Application.Sampling.Sample;

namespace TinkerServer.Api.Endpoints;

public static class SamplingEndpoints
{
    public static IEndpointRouteBuilder MapSampling(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Sampling");
        api.MapPost("/create_sampling_session", CreateSamplingSession).WithName("CreateSamplingSession");
        api.MapGet("/samplers/{samplerId}", GetSampler).WithName("GetSampler");
        api.MapPost("/asample", Sample).WithName("Sample");
        return app;
    }

    public static async Task<Ok<CreateSamplingSessionResponse>> CreateSamplingSession(
        CreateSamplingSessionRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var sampler = await mediator.Send(
            new CreateSamplingSessionCommand(request.SessionId ?? "", request.SamplingSessionSeqId ?? 0, request.BaseModel, request.ModelPath),
            cancellationToken);
        return TypedResults.Ok(new CreateSamplingSessionResponse(sampler.SamplerId));
    }

    public static async Task<Ok<SamplerResponse>> GetSampler(string samplerId, IMediator mediator, CancellationToken cancellationToken)
    {
        var sampler = await mediator.Send(new GetSamplerQuery(samplerId), cancellationToken);
        return TypedResults.Ok(new SamplerResponse(sampler.SamplerId, sampler.BaseModel, sampler.ModelPath));
    }

    public static async Task<Ok<FutureHandleResponse>> Sample(SampleRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var future = await mediator.Send(new SampleCommand(request.SamplingSessionId ?? "", request.SeqId, SamplingWire.ToInput(request)), cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }
}
