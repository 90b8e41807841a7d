namespace TinkerServer.Api.Contracts;

public sealed record LoraConfigDto(int? Rank, long? Seed, bool? TrainUnembed, bool? TrainMlp, bool? TrainAttn);

public sealed record CreateModelRequest(
    string? SessionId,
    long? ModelSeqId,
    string? BaseModel,
    IReadOnlyDictionary<string, string>? UserMetadata,
    LoraConfigDto? LoraConfig);

public sealed record ModelIdRequest(string? ModelId);

public sealed record ModelDataDto(string? Arch, string? ModelName, string? TokenizerId);

public sealed record GetInfoResponse(string ModelId, ModelDataDto ModelData, bool IsLora, int? LoraRank, string? ModelName)
{
    public string Type => "get_info";
}
