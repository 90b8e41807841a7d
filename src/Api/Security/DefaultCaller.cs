using TinkerServer.Application.Abstractions;

namespace TinkerServer.Api.Security;

/// <summary>With authentication off every caller is the single local owner.</summary>
public sealed class DefaultCaller : ICurrentCaller
{
    public const string DefaultOwner = "default";

    public string Owner => DefaultOwner;
}
