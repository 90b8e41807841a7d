using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using TinkerServer.Api.Contracts;
using TinkerServer.Application.Models.CreateModel;
using TinkerServer.Application.Models.GetModelInfo;
using TinkerServer.Application.Models.UnloadModel;

namespace TinkerServer.Api.Endpoints;

public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Models");
        api.MapPost("/create_model", CreateModel).WithName("CreateModel");
        api.MapPost("/get_info", GetInfo).WithName("GetInfo");
        api.MapPost("/unload_model", UnloadModel).WithName("UnloadModel");
        return app;
    }

    public static async Task<Ok<FutureHandleResponse>> CreateModel(CreateModelRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var lora = request.LoraConfig;
        var future = await mediator.Send(
            new CreateModelCommand(
                request.SessionId ?? "",
                request.ModelSeqId ?? 0,
                request.BaseModel ?? "",
                lora?.Rank,
                lora?.Seed,
                lora?.TrainAttn ?? true,
                lora?.TrainMlp ?? true,
                lora?.TrainUnembed ?? true,
                request.UserMetadata),
            cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }

    public static async Task<Ok<GetInfoResponse>> GetInfo(ModelIdRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var info = await mediator.Send(new GetModelInfoQuery(request.ModelId ?? ""), cancellationToken);
        return TypedResults.Ok(new GetInfoResponse(
            info.ModelId,
            new ModelDataDto(info.Architecture, info.BaseModel, null),
            IsLora: true,
            info.LoraRank,
            info.BaseModel));
    }

    public static async Task<Ok<FutureHandleResponse>> UnloadModel(ModelIdRequest request, IMediator mediator, CancellationToken cancellationToken)
    {
        var future = await mediator.Send(new UnloadModelCommand(request.ModelId ?? ""), cancellationToken);
        return TypedResults.Ok(new FutureHandleResponse(future.RequestId, future.ModelId));
    }
}
