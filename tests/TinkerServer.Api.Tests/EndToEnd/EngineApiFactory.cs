using TinkerServer.Api.Tests.Infrastructure;

namespace TinkerServer.Api.Tests.EndToEnd;

/// <summary>The server with its engine on real time (long-polls and the worker wait on the clock).</summary>
public sealed class EngineApiFactory : TinkerApiFactory
{
    public EngineApiFactory()
        : base(fakeTime: false)
    {
        Settings["TinkerServer:LongPollTimeout"] = "00:00:02";
    }
}
